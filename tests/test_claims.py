"""The paper's claims as data: predicate vocabulary, "not run", seed averaging, the shipped claims file,
invalid claim files, and the ``claims`` stage."""

import argparse
import json

import pandas as pd
import pytest
import yaml

from conftest import REPO
from harness.errors import InputError
from harness.report.claims import (PREDICATES, check_claims, claim_references, claims_table, load_claims,
                                   summary)
from harness.stages import claims as claims_stage

CLAIMS_FILE = REPO / "configs" / "paper" / "claims.yaml"
TABLES_FILE = REPO / "configs" / "paper" / "tables.yaml"
PROFILE_FILE = REPO / "configs" / "profiles" / "default.yaml"
TIDY_COLUMNS = ["dataset", "model", "method", "variant", "seed", "metric", "value"]


def tidy(*rows) -> pd.DataFrame:
    """Rows (run, metric, value[, seed[, dataset[, model]]]) -> tidy table (default lvis, faster_r50, seed 0)."""
    records = []
    for row in rows:
        run, metric, value, seed, dataset, model = (*row, *(0, "lvis", "faster_r50")[len(row) - 3:])
        records.append({"dataset": dataset, "model": model, "method": run, "variant": run, "seed": seed,
                        "metric": metric, "value": value})
    return pd.DataFrame(records, columns=TIDY_COLUMNS)


def write_claims(tmp_path, *predicates, name="claims.yaml"):
    """A claims file with one claim per predicate (ids c0, c1, ...)."""
    entries = [{"id": f"c{i}", "text": "a claim", "source": "Table 1", "paper": {"AP": 1.0}, "predicate": p}
               for i, p in enumerate(predicates)]
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"claims": entries}))
    return path


def check_one(tmp_path, predicate, table):
    return check_claims(load_claims(write_claims(tmp_path, predicate)), table)[0]


# ------------------------------------------------------------------------------------------ predicates

AP = "AP"
TWO = tidy(("bags", AP, 0.26), ("baseline", AP, 0.21))
SWEEP = tidy(("b0", AP, 0.20), ("b1", AP, 0.22), ("b2", AP, 0.218), ("b4", AP, 0.25))

CASES = [  # (predicate, table, holds)
    ({"type": "greater", "metric": AP, "left": "bags", "right": "baseline", "margin": 0.04}, TWO, True),
    ({"type": "greater", "metric": AP, "left": "bags", "right": "baseline", "margin": 0.06}, TWO, False),
    ({"type": "greater", "metric": AP, "left": "bags", "right": "baseline", "margin": 0.05}, TWO, False),  # on margin
    ({"type": "less", "metric": AP, "left": "baseline", "right": "bags", "margin": 0.04}, TWO, True),
    ({"type": "less", "metric": AP, "left": "baseline", "right": "bags", "margin": 0.06}, TWO, False),
    ({"type": "less", "metric": AP, "left": "bags", "right": "baseline", "margin": 0.0}, TWO, False),
    ({"type": "close", "metric": AP, "left": "bags", "right": "baseline", "tolerance": 0.05}, TWO, True),  # on tol.
    ({"type": "close", "metric": AP, "left": "baseline", "right": "bags", "tolerance": 0.049}, TWO, False),
    ({"type": "above", "value": {"run": "bags", "metric": AP}, "threshold": 0.25}, TWO, True),
    ({"type": "above", "value": {"run": "bags", "metric": AP}, "threshold": 0.26}, TWO, False),
    ({"type": "below", "value": {"run": "baseline", "metric": AP}, "threshold": 0.22}, TWO, True),
    ({"type": "below", "value": {"run": "baseline", "metric": AP}, "threshold": 0.21}, TWO, False),
    ({"type": "best", "metric": AP, "run": "b2", "among": ["b0", "b1", "b2"], "tolerance": 0.003}, SWEEP, True),
    ({"type": "best", "metric": AP, "run": "b2", "among": ["b0", "b1", "b2"], "tolerance": 0.001}, SWEEP, False),
    ({"type": "best", "metric": AP, "run": "b4", "among": ["b0", "b1", "b2", "b4"], "tolerance": 0.0}, SWEEP, True),
    ({"type": "beats_all", "metric": AP, "run": "b4", "others": ["b0", "b1", "b2"], "margin": 0.02}, SWEEP, True),
    ({"type": "beats_all", "metric": AP, "run": "b4", "others": ["b0", "b1", "b2"], "margin": 0.04}, SWEEP, False),
    ({"type": "beats_all", "metric": AP, "run": "b1", "others": ["b0", "b2", "b4"], "margin": 0.0}, SWEEP, False),
    ({"type": "increasing_up_to", "metric": AP, "runs": ["b0", "b1", "b2", "b4"], "tolerance": 0.003}, SWEEP, True),
    ({"type": "increasing_up_to", "metric": AP, "runs": ["b0", "b1", "b2", "b4"], "tolerance": 0.001}, SWEEP, False),
    ({"type": "increasing_up_to", "metric": AP, "runs": ["b1", "b2"], "tolerance": 0.01}, SWEEP, False),  # no rise
    ({"type": "all_of", "metric": AP, "predicates": [
        {"type": "greater", "left": "bags", "right": "baseline", "margin": 0.01},
        {"type": "above", "value": "bags", "threshold": 0.2}]}, TWO, True),
    ({"type": "all_of", "metric": AP, "predicates": [
        {"type": "greater", "left": "bags", "right": "baseline", "margin": 0.01},
        {"type": "above", "value": "bags", "threshold": 0.3}]}, TWO, False),
]


@pytest.mark.parametrize("predicate, table, holds", CASES, ids=lambda v: v["type"] if isinstance(v, dict) else "")
def test_predicate_verdicts(tmp_path, predicate, table, holds):
    result = check_one(tmp_path, predicate, table)
    assert result.status == ("holds" if holds else "does not hold"), result.explanation


def test_every_predicate_type_is_covered_both_ways():
    verdicts = {(p["type"], holds) for p, _, holds in CASES}
    assert verdicts == {(kind, holds) for kind in PREDICATES for holds in (True, False)}


def test_explanation_and_numbers_are_in_percent(tmp_path):
    table = tidy(("bags", "AP1", 0.104), ("baseline", "AP1", 0.069))
    result = check_one(tmp_path, {"type": "greater", "metric": "AP1", "left": "bags", "right": "baseline",
                                  "margin": 0.03}, table)
    assert result.status == "holds"
    assert result.explanation == "bags AP1 10.4 vs baseline 6.9: +3.5 > 3.0"
    assert result.numbers == [("bags AP1", pytest.approx(10.4)), ("baseline AP1", pytest.approx(6.9))]


def test_correlations_are_shown_unscaled_and_scopes_named(tmp_path):
    table = tidy(("baseline", "weight_norm_rho", 0.1, 0, "coco"), ("baseline", "weight_norm_rho", 0.8))
    result = check_one(tmp_path, {"type": "less", "metric": "weight_norm_rho", "margin": 0.3,
                                  "left": {"run": "baseline", "dataset": "coco"}, "right": "baseline"}, table)
    assert result.status == "holds"
    assert result.explanation == ("coco/faster_r50 baseline weight_norm_rho 0.10 vs lvis/faster_r50 baseline 0.80: "
                                  "-0.70 < -0.30")
    assert result.numbers == [("coco/faster_r50 baseline weight_norm_rho", 0.1), ("baseline weight_norm_rho", 0.8)]


def test_scope_is_inherited_and_overridden_by_parts(tmp_path):
    table = tidy(("bags", AP, 0.3, 0, "lvis", "mask_r50"), ("baseline", AP, 0.2, 0, "lvis", "mask_r50"),
                 ("bags", "AP_mask", 0.1, 0, "coco_lt", "mask_r50"),
                 ("baseline", "AP_mask", 0.2, 0, "coco_lt", "mask_r50"))
    predicate = {"type": "all_of", "model": "mask_r50", "metric": AP, "predicates": [
        {"type": "greater", "left": "bags", "right": "baseline", "margin": 0.05},
        {"type": "less", "dataset": "coco_lt", "metric": "AP_mask", "left": "bags", "right": "baseline",
         "margin": 0.05}]}
    result = check_one(tmp_path, predicate, table)
    assert result.status == "holds", result.explanation
    assert len(result.numbers) == 4


def test_seeds_are_averaged(tmp_path):
    table = tidy(("bags", AP, 0.10, 0), ("bags", AP, 0.14, 1), ("baseline", AP, 0.11, 0), ("baseline", AP, 0.11, 1))
    result = check_one(tmp_path, {"type": "greater", "metric": AP, "left": "bags", "right": "baseline",
                                  "margin": 0.0}, table)
    assert result.status == "holds"
    assert result.numbers[0] == ("bags AP", pytest.approx(12.0))


def test_absent_runs_metrics_and_nan_values_are_not_run(tmp_path):
    table = tidy(("bags", AP, 0.3), ("baseline", AP, float("nan")), ("bags", "AP1", 0.1))
    predicate = {"type": "all_of", "predicates": [
        {"type": "greater", "metric": AP, "left": "bags", "right": "baseline", "margin": 0.0},
        {"type": "greater", "metric": "AP2", "left": "bags", "right": "rfs", "margin": 0.0}]}
    result = check_one(tmp_path, predicate, table)
    assert result.status == "not run"
    assert result.missing == ["lvis/faster_r50 baseline AP", "lvis/faster_r50 bags AP2", "lvis/faster_r50 rfs AP2"]
    assert "baseline AP" in result.explanation and "rfs AP2" in result.explanation
    assert result.numbers == [("bags AP", 30.0)]


def test_table_and_summary(tmp_path):
    path = write_claims(tmp_path, {"type": "above", "metric": AP, "value": "bags", "threshold": 0.1},
                        {"type": "above", "metric": AP, "value": "bags", "threshold": 0.5},
                        {"type": "above", "metric": AP, "value": "rfs", "threshold": 0.1})
    results = check_claims(load_claims(path), tidy(("bags", AP, 0.3)))
    assert summary(results) == {"holds": 1, "does not hold": 1, "not run": 1}
    table = claims_table(results)
    assert list(table.columns) == ["id", "source", "status", "claim", "numbers", "explanation"]
    assert table.status.tolist() == ["holds", "does not hold", "not run"]
    assert table.numbers[0] == "bags AP 30"


def test_tidy_table_without_a_column_is_rejected(tmp_path):
    claims = load_claims(write_claims(tmp_path, {"type": "above", "metric": AP, "value": "bags", "threshold": 0.1}))
    with pytest.raises(InputError, match="tidy.csv: field 'variant': missing column"):
        check_claims(claims, tidy(("bags", AP, 0.3)).drop(columns="variant"), source="tidy.csv")


# ------------------------------------------------------------------------------------ shipped claims


def known_run_ids() -> set[str]:
    tables = yaml.safe_load(TABLES_FILE.read_text())["tables"]
    profile = yaml.safe_load(PROFILE_FILE.read_text())
    return ({"baseline"} | set(tables["table1"]["rows"].values()) | set(tables["table1"]["extra_rows"])
            | set(tables["table4"]["rows"].values()) | set(profile["bags"]["runs"]))


def known_metrics() -> set[str]:
    columns = yaml.safe_load(TABLES_FILE.read_text())["metric_of_column"]
    return set(columns.values()) | {"AP50", "AP75", "APs", "APm", "APl", "ACCfg", "weight_norm_rho"}


def test_shipped_claims_load_and_reference_known_runs_and_metrics():
    claims = load_claims(CLAIMS_FILE)
    assert len(claims) >= 15
    assert len({c.id for c in claims}) == len(claims)
    refs = claim_references(claims)
    assert {r.run for r in refs} <= known_run_ids()
    assert {r.metric for r in refs} <= known_metrics()
    assert {r.dataset for r in refs} <= {"lvis", "coco", "coco_lt"}
    assert {r.model for r in refs} <= set(yaml.safe_load(PROFILE_FILE.read_text())["models"])
    assert all(c.source.split()[0].rstrip(".,") in {"Table", "Tables", "Sec", "Fig", "Abstract"} for c in claims)


def test_shipped_claims_cover_the_brief():
    refs = claim_references(load_claims(CLAIMS_FILE))
    runs_by_scope = {(r.dataset, r.model, r.run, r.metric) for r in refs}
    for model in ("faster_r50", "faster_x101", "cascade_x101", "mask_r50", "htc_x101", "htc_x101_dcn_ms"):
        assert ("lvis", model, "bags", "AP") in runs_by_scope
    for model in ("mask_r50", "htc_x101", "htc_x101_dcn_ms"):
        assert ("lvis", model, "bags", "AP_mask") in runs_by_scope
    assert {("coco_lt", m, "bags", "AP") for m in ("faster_r50", "mask_r50")} <= runs_by_scope
    assert ("coco", "faster_r50", "baseline", "weight_norm_rho") in runs_by_scope
    assert {r.run for r in refs} >= {"bags_beta0", "bags_n2", "bags_n8", "bags_no_g0", "focal", "tau_norm"}


def paper_tidy() -> pd.DataFrame:
    """The paper's own Tables 1-4 as a tidy table (LVIS only; no weight norms, beta sweep or COCO)."""
    spec = yaml.safe_load(TABLES_FILE.read_text())
    metric_of = spec["metric_of_column"]
    rows = []
    for table in spec["tables"].values():
        if table["dataset"] != "lvis":  # COCO-LT's paper numbers are deltas, not runs
            continue
        paper = pd.read_csv(TABLES_FILE.parent / table["csv"], dtype={table["key"]: str})
        for _, row in paper.iterrows():
            target = table["rows"].get(row[table["key"]])
            if target is None:
                continue
            model, run = target if isinstance(target, list) else (table["model"], target)
            rows += [(run, metric_of[col], row[col] / 100, 0, "lvis", model)
                     for col in metric_of if col in row and pd.notna(row[col])]
    return tidy(*rows).drop_duplicates(subset=["dataset", "model", "variant", "metric"])


def test_shipped_claims_hold_on_the_papers_own_tables():
    results = check_claims(load_claims(CLAIMS_FILE), paper_tidy())
    not_holding = [(r.id, r.explanation) for r in results if r.status == "does not hold"]
    assert not_holding == []
    tables_only = [r for r in results if r.source.startswith(("Table", "Tables"))]
    assert len(tables_only) >= 15 and all(r.status == "holds" for r in tables_only)


# ------------------------------------------------------------------------------- invalid claim files

GOOD = {"type": "greater", "metric": AP, "left": "bags", "right": "baseline", "margin": 0.01}


@pytest.mark.parametrize("predicate, field, problem", [
    ({**GOOD, "type": "bigger"}, "claims[0].predicate.type", "unknown predicate type 'bigger'"),
    ({k: v for k, v in GOOD.items() if k != "margin"}, "claims[0].predicate.margin", "missing"),
    ({**GOOD, "tolerence": 0.1}, "claims[0].predicate.tolerence", "unknown field"),
    ({**GOOD, "margin": -0.01}, "claims[0].predicate.margin", "must be >= 0"),
    ({**GOOD, "margin": "1 point"}, "claims[0].predicate.margin", "must be a number"),
    ({k: v for k, v in GOOD.items() if k != "metric"}, "claims[0].predicate.left.metric", "missing"),
    ({**GOOD, "left": {"metric": AP}}, "claims[0].predicate.left.run", "missing"),
    ({"type": "all_of", "predicates": [GOOD, {**GOOD, "type": "nope"}]},
     "claims[0].predicate.predicates[1].type", "unknown predicate type"),
    ({"type": "all_of", "predicates": []}, "claims[0].predicate.predicates", "non-empty list"),
    ({"type": "beats_all", "metric": AP, "run": "bags", "others": ["bags"], "margin": 0.0},
     "claims[0].predicate.others", "other than `run`"),
    ({"type": "increasing_up_to", "metric": AP, "runs": ["bags"], "tolerance": 0.0},
     "claims[0].predicate.runs", "at least 2"),
    ({"metric": AP}, "claims[0].predicate.type", "missing"),
])
def test_invalid_predicates_name_file_and_field(tmp_path, predicate, field, problem):
    path = write_claims(tmp_path, predicate)
    with pytest.raises(InputError) as err:
        load_claims(path)
    assert err.value.source == str(path) and err.value.field == field
    assert problem in err.value.problem and f"field '{field}'" in str(err.value)


@pytest.mark.parametrize("change, field, problem", [
    (lambda c: c.pop("text"), "claims[0].text", "missing"),
    (lambda c: c.update(id="BagsBeats"), "claims[0].id", "not snake_case"),
    (lambda c: c.update(paper={}), "claims[0].paper", "non-empty mapping"),
    (lambda c: c.update(paper={"AP": [1, 2]}), "claims[0].paper.AP", "number"),
    (lambda c: c.update(source=""), "claims[0].source", "non-empty string"),
    (lambda c: c.update(extra=1), "claims[0].extra", "unknown field"),
])
def test_invalid_claim_fields_name_file_and_field(tmp_path, change, field, problem):
    path = write_claims(tmp_path, GOOD)
    data = yaml.safe_load(path.read_text())
    change(data["claims"][0])
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load_claims(path)
    assert str(err.value).startswith(f"{path}: field '{field}': ") and problem in err.value.problem


def test_duplicate_ids_empty_and_malformed_files(tmp_path):
    path = write_claims(tmp_path, GOOD, GOOD)
    data = yaml.safe_load(path.read_text())
    data["claims"][1]["id"] = "c0"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match=r"field 'claims\[1\].id': duplicate id 'c0'"):
        load_claims(path)
    path.write_text("claims: []\n")
    with pytest.raises(InputError, match="field 'claims': must be a non-empty list"):
        load_claims(path)
    path.write_text("claims: [\n")
    with pytest.raises(InputError, match="malformed YAML"):
        load_claims(path)
    with pytest.raises(InputError, match="does not exist"):
        load_claims(tmp_path / "absent.yaml")


# ------------------------------------------------------------------------------------------ the stage


def stage_args(tmp_path, tidy_path, claims_path, csv=True) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    claims_stage.add_arguments(parser)
    argv = ["--tidy", str(tidy_path), "--claims", str(claims_path), "--out", str(tmp_path / "out" / "claims.json")]
    return parser.parse_args(argv + (["--csv", str(tmp_path / "out" / "claims.csv")] if csv else []))


def test_stage_writes_json_csv_and_prints_summary(tmp_path, capsys):
    claims_path = write_claims(tmp_path, GOOD, {**GOOD, "margin": 0.2}, {**GOOD, "left": "rfs"})
    tidy_path = tmp_path / "tidy.csv"
    tidy(("bags", AP, 0.26, 0), ("bags", AP, 0.24, 1), ("baseline", AP, 0.2)).to_csv(tidy_path, index=False)
    claims_stage.run(stage_args(tmp_path, tidy_path, claims_path))
    out = json.loads((tmp_path / "out" / "claims.json").read_text())
    assert out["summary"] == {"holds": 1, "does not hold": 1, "not run": 1}
    first = out["results"][0]
    assert first["id"] == "c0" and first["status"] == "holds" and first["numbers"][0] == ["bags AP", 25.0]
    assert first["explanation"] == "bags AP 25.0 vs baseline 20.0: +5.0 > 1.0"
    assert out["results"][2]["missing"] == ["lvis/faster_r50 rfs AP"]
    table = pd.read_csv(tmp_path / "out" / "claims.csv")
    assert table.id.tolist() == ["c0", "c1", "c2"]
    printed = capsys.readouterr().out
    assert printed.startswith("claims: 1 hold, 1 do not hold, 1 not run (of 3) -> ")
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_stage_rejects_missing_or_incomplete_tidy_table(tmp_path):
    claims_path = write_claims(tmp_path, GOOD)
    with pytest.raises(InputError, match="tidy metrics table does not exist"):
        claims_stage.run(stage_args(tmp_path, tmp_path / "absent.csv", claims_path, csv=False))
    tidy_path = tmp_path / "tidy.csv"
    tidy(("bags", AP, 0.3)).drop(columns="metric").to_csv(tidy_path, index=False)
    with pytest.raises(InputError, match=f"{tidy_path}: field 'metric': missing column"):
        claims_stage.run(stage_args(tmp_path, tidy_path, claims_path, csv=False))
    assert not (tmp_path / "out" / "claims.json").exists()
