"""Aggregation of the runs' files into the tidy metrics table, and stage `aggregate`: each file's run
comes from its "run" field, and only the files passed in are read."""

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_harness
from harness.errors import InputError
from harness.report.aggregate import (TIDY_COLUMNS, collect_metrics, collect_replicates, read_replicates, read_tidy,
                                      write_replicates, write_tidy)

REPO = Path(__file__).resolve().parents[1]
PROFILE = "configs/profiles/default.yaml"


def write_file(root: Path, relative: str, payload) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


def run_field(run: str) -> dict:
    """The "run" field of a run's files: ``lvis/faster_r50/x2/0`` -> dataset, model, run_id, seed."""
    dataset, model, run_id, seed = run.split("/")
    return {"dataset": dataset, "model": model, "run_id": run_id, "seed": int(seed)}


def write_run_file(root: Path, run: str, name: str, payload: dict) -> Path:
    """``payload`` with the "run" field of ``run``, in that run's folder (``<d>/<m>/<r>/seed<k>/name``)."""
    dataset, model, run_id, seed = run.split("/")
    return write_file(root, f"{dataset}/{model}/{run_id}/seed{seed}/{name}", {**payload, "run": run_field(run)})


METRICS, NORMS, BOOTSTRAP = "evaluate/metrics.json", "weight_norms/summary.json", "evaluate/bootstrap.json"


@pytest.fixture
def runs(tmp_path) -> dict[str, list[Path]]:
    """Baseline with 2 seeds (metrics + weight norms), one x2 seed, one bags_n8 seed: the files passed in."""
    root = tmp_path / "runs"
    base = "lvis/faster_r50/baseline"
    metrics = [
        write_run_file(root, f"{base}/0", METRICS, {"thresholds": [4, 16, 64], "AP": 0.24, "APl": -1.0, "AP1": 0.0,
                                                    "num_cats_bin1": 10, "note": "text", "flag": True,
                                                    "missing": None,  # nor per-category AP: not metrics
                                                    "per_category": {"bbox": {"1": 0.5, "2": -1.0}}}),
        write_run_file(root, f"{base}/1", METRICS, {"AP": 0.26, "AP_mask": 0.2}),
        write_run_file(root, "lvis/faster_r50/x2/0", METRICS, {"AP": 0.3}),
        write_run_file(root, "lvis/faster_r50/bags_n8/0", METRICS, {"AP": 0.31}),
    ]
    norms = [
        write_run_file(root, f"{base}/0", NORMS, {"param": "fc_cls", "spearman_rho_norm_vs_train_instances": -1.0,
                                                  "num_categories": 40, "background_norm": None}),
        write_run_file(root, f"{base}/1", NORMS, {"spearman_rho_norm_vs_train_instances": 0.5,
                                                  "background_norm": 1.25}),
    ]
    write_run_file(root, f"{base}/0", "predict/meta.json", {"AP": 9.0})  # not a file we read
    return {"root": root, "metrics": metrics, "norms": norms}


def test_one_sorted_row_per_metric(runs):
    tidy = collect_metrics(runs["metrics"], runs["norms"], {"x2": "x2", "bags_n8": "bags", "baseline": "baseline"})
    assert list(tidy.columns) == TIDY_COLUMNS
    assert tidy.values.tolist() == [
        ["lvis", "faster_r50", "bags", "bags_n8", 0, "AP", 0.31],
        ["lvis", "faster_r50", "baseline", "baseline", 0, "AP", 0.24],
        ["lvis", "faster_r50", "baseline", "baseline", 0, "AP1", 0.0],
        ["lvis", "faster_r50", "baseline", "baseline", 0, "weight_norm_rho", -1.0],  # rho -1 is real
        ["lvis", "faster_r50", "baseline", "baseline", 1, "AP", 0.26],
        ["lvis", "faster_r50", "baseline", "baseline", 1, "AP_mask", 0.2],
        ["lvis", "faster_r50", "baseline", "baseline", 1, "background_norm", 1.25],
        ["lvis", "faster_r50", "baseline", "baseline", 1, "weight_norm_rho", 0.5],
        ["lvis", "faster_r50", "x2", "x2", 0, "AP", 0.3],
    ]
    assert tidy.dtypes["seed"] == "int64" and tidy.dtypes["value"] == "float64"


def test_unlisted_run_id_is_its_own_method(runs):
    tidy = collect_metrics(runs["metrics"])
    assert sorted(set(zip(tidy.method, tidy.variant))) == [
        ("bags_n8", "bags_n8"), ("baseline", "baseline"), ("x2", "x2")]


def test_no_files_give_an_empty_table():
    tidy = collect_metrics([])
    assert tidy.empty and list(tidy.columns) == TIDY_COLUMNS


def test_identity_comes_from_the_file_not_its_folder(tmp_path):
    """A metrics file whose "run" says seed 3 in a folder named seed0 is seed 3; the folder's names are
    never read (a file may lie anywhere)."""
    moved = write_file(tmp_path, "lvis/faster_r50/baseline/seed0/evaluate/metrics.json",
                       {"AP": 0.2, "run": run_field("lvis/faster_r50/baseline/3")})
    elsewhere = write_file(tmp_path, "copies/m.json", {"AP": 0.4, "run": run_field("coco/mask_r50/x2/1")})
    tidy = collect_metrics([moved, elsewhere], run_methods={"baseline": "baseline"})
    assert tidy.values.tolist() == [["coco", "mask_r50", "x2", "x2", 1, "AP", 0.4],
                                    ["lvis", "faster_r50", "baseline", "baseline", 3, "AP", 0.2]]


@pytest.mark.parametrize("run, field, problem", [
    (None, "run", "rerun `python -m harness evaluate` with --run"),
    ("lvis/faster_r50/x2/0", "run", "expected an object"),
    ({"dataset": "lvis", "model": "faster_r50", "run_id": "x2"}, "run.seed", "non-negative integer"),
    ({"dataset": "lvis", "model": "faster_r50", "run_id": "x2", "seed": "0"}, "run.seed", "non-negative integer"),
    ({"dataset": "lvis", "model": "a/b", "run_id": "x2", "seed": 0}, "run.model", "expected a name"),
])
def test_missing_or_malformed_run_field_names_file_and_field(tmp_path, run, field, problem):
    path = write_file(tmp_path, "metrics.json", {"AP": 0.2, **({"run": run} if run is not None else {})})
    with pytest.raises(InputError, match=problem) as err:
        collect_metrics([path])
    assert err.value.source == str(path) and err.value.field == field


def test_two_files_of_one_run_are_an_error(runs, tmp_path):
    copy = write_file(tmp_path, "copy/metrics.json", json.loads(runs["metrics"][2].read_text()))
    with pytest.raises(InputError, match="lvis/faster_r50/x2/0") as err:
        collect_metrics([*runs["metrics"], copy])
    assert err.value.source == str(copy) and err.value.field == "run"


@pytest.mark.parametrize("content, problem", [("{\"AP\": 0.2,", "malformed JSON"),
                                              ("[0.2, 0.3]", "expected a JSON object")])
def test_bad_metrics_file_names_the_file(tmp_path, content, problem):
    path = write_file(tmp_path, "lvis/faster_r50/x2/seed0/evaluate/metrics.json", content)
    with pytest.raises(InputError, match=problem) as err:
        collect_metrics([path])
    assert err.value.source == str(path)


def test_bad_weight_norm_summary_names_the_file(runs, tmp_path):
    path = write_file(tmp_path, "lvis/faster_r50/x2/seed0/weight_norms/summary.json", "not json")
    with pytest.raises(InputError, match="malformed JSON") as err:
        collect_metrics(runs["metrics"], [path])
    assert err.value.source == str(path)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(InputError, match="does not exist") as err:
        collect_metrics([tmp_path / "none.json"])
    assert err.value.source == str(tmp_path / "none.json")


def test_tidy_csv_round_trip(runs, tmp_path):
    tidy = collect_metrics(runs["metrics"], runs["norms"])
    write_tidy(tidy, tmp_path / "out" / "tidy.csv")
    pd.testing.assert_frame_equal(read_tidy(tmp_path / "out" / "tidy.csv"), tidy)
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_read_tidy_wants_every_column(tmp_path):
    (tmp_path / "t.csv").write_text("dataset,model,variant,seed,metric,value\nlvis,m,r,0,AP,0.2\n")
    with pytest.raises(InputError, match="missing column") as err:
        read_tidy(tmp_path / "t.csv")
    assert err.value.field == "method"


def stage_args(runs: dict, out: Path, bootstraps=(), bootstrap_out: Path | None = None) -> argparse.Namespace:
    """The stage's arguments for the fixture's files (as the rule passes them)."""
    return argparse.Namespace(metrics=[str(p) for p in runs["metrics"]], norms=[str(p) for p in runs["norms"]],
                              bootstraps=[str(p) for p in bootstraps], profile=PROFILE, out=str(out),
                              bootstrap_out=str(bootstrap_out) if bootstrap_out else None)


def test_stage_names_methods_from_the_profile(runs, tmp_path, monkeypatch, capsys):
    from harness.stages import aggregate

    monkeypatch.chdir(REPO)  # the profile's method files are configs/methods/<run id>.yaml
    out = tmp_path / "tidy.csv"
    aggregate.run(stage_args(runs, out))
    tidy = read_tidy(out)
    assert dict(zip(tidy.variant, tidy.method)) == {"baseline": "baseline", "bags_n8": "bags", "x2": "x2"}
    assert capsys.readouterr().out == f"aggregate: 9 values of 3 runs (4 seeds) -> {out}\n"


def test_stray_run_folder_does_not_reach_the_tables(runs, tmp_path, monkeypatch):
    """Run folders whose files are not passed in (an old run id, a seed the profile does not train, even a
    complete folder of a run the profile has) are never read, though they lie beside the others."""
    from harness.stages import aggregate

    boots = [write_run_file(runs["root"], "lvis/faster_r50/baseline/0", BOOTSTRAP, bootstrap_file({"AP": [0.2] * 3}))]
    for stray in ("lvis/faster_r50/old_method/0", "lvis/faster_r50/x2/7", "lvis/faster_r50/baseline/2"):
        write_run_file(runs["root"], stray, METRICS, {"AP": 0.9})
        write_run_file(runs["root"], stray, NORMS, {"spearman_rho_norm_vs_train_instances": 0.9})
        write_run_file(runs["root"], stray, BOOTSTRAP, bootstrap_file({"AP": [0.9] * 3}))
    monkeypatch.chdir(REPO)
    out, boot = tmp_path / "tidy.csv", tmp_path / "bootstrap.csv"
    aggregate.run(stage_args(runs, out, boots, boot))
    tidy, wide = read_tidy(out), read_replicates(boot)
    assert 0.9 not in set(tidy.value) and set(tidy.variant) == {"baseline", "bags_n8", "x2"}
    assert set(tidy.seed) == {0, 1} and len(tidy) == 9
    assert wide[["variant", "seed"]].values.tolist() == [["baseline", 0]] and 0.9 not in wide[["b0"]].values


def test_file_without_run_field_exits_2_naming_file_and_field(tmp_path):
    """Metrics written before the stages recorded --run: a clear error, not a silent or path-derived guess."""
    old = write_file(tmp_path, "lvis/faster_r50/baseline/seed0/evaluate/metrics.json", {"AP": 0.2})
    result = run_harness("aggregate", "--metrics", str(old), "--profile", PROFILE, "--out", str(tmp_path / "t.csv"))
    assert result.returncode == 2, result.stderr
    assert f"{old}: field 'run': missing" in result.stderr and "rerun `python -m harness evaluate` with --run" \
        in result.stderr
    assert not (tmp_path / "t.csv").exists()


def test_profile_methods_cover_every_run(monkeypatch):
    from harness.config import load_profile
    from harness.stages.aggregate import run_methods_of

    monkeypatch.chdir(REPO)
    methods = run_methods_of(load_profile(PROFILE), "default.yaml")
    assert methods["baseline"] == "baseline" and methods["bags_betaall"] == "bags"
    assert methods["rfs_finetune"] == "rfs_finetune" and methods["seesaw"] == "seesaw"


def test_stage_wants_existing_files_and_a_table_for_bootstraps(runs, tmp_path, monkeypatch):
    from harness.stages import aggregate

    monkeypatch.chdir(REPO)
    runs["metrics"].append(tmp_path / "none.json")
    with pytest.raises(InputError, match="does not exist") as err:
        aggregate.run(stage_args(runs, tmp_path / "t.csv"))
    assert err.value.source == str(tmp_path / "none.json")
    with pytest.raises(InputError, match="need --bootstrap-out"):
        aggregate.run(stage_args(runs, tmp_path / "t.csv", bootstraps=[tmp_path / "b.json"]))


def bootstrap_file(metrics: dict, replicates: int = 3, seed: int = 0, sha: str = "ab" * 32) -> dict:
    return {"replicates": replicates, "seed": seed, "num_images": 4, "image_ids_sha256": sha, "metrics": metrics}


@pytest.fixture
def boot_runs(runs) -> dict[str, list[Path]]:
    """The tidy runs plus bootstrap files of two runs (3 replicates), and one not passed in."""
    runs["bootstraps"] = [
        write_run_file(runs["root"], "lvis/faster_r50/baseline/0", BOOTSTRAP,
                       bootstrap_file({"AP1": [-1.0, 0.1, 0.0], "AP": [0.2, 0.25, 0.3]})),
        write_run_file(runs["root"], "lvis/faster_r50/bags_n8/0", BOOTSTRAP,
                       bootstrap_file({"AP_mask": [0.5, 0.125, 1.0]})),
    ]
    write_run_file(runs["root"], "lvis/faster_r50/x2/0", BOOTSTRAP, bootstrap_file({"AP": [9.0] * 3}))
    return runs


def test_replicates_table_is_wide_one_row_per_run_metric(boot_runs, tmp_path):
    wide = collect_replicates(boot_runs["bootstraps"], {"bags_n8": "bags", "baseline": "baseline"})
    assert list(wide.columns) == ["dataset", "model", "method", "variant", "seed", "metric", "b0", "b1", "b2"]
    assert wide.values.tolist() == [
        ["lvis", "faster_r50", "bags", "bags_n8", 0, "AP_mask", 0.5, 0.125, 1.0],
        ["lvis", "faster_r50", "baseline", "baseline", 0, "AP", 0.2, 0.25, 0.3],
        ["lvis", "faster_r50", "baseline", "baseline", 0, "AP1", -1.0, 0.1, 0.0],  # -1 stays
    ]
    write_replicates(wide, tmp_path / "out" / "bootstrap.csv")
    assert (tmp_path / "out" / "bootstrap.csv").read_text().splitlines()[:2] == [
        "dataset,model,method,variant,seed,metric,b0,b1,b2", "lvis,faster_r50,bags,bags_n8,0,AP_mask,0.5,0.125,1.0"]
    pd.testing.assert_frame_equal(read_replicates(tmp_path / "out" / "bootstrap.csv"), wide)
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_no_bootstrap_files_give_an_empty_table(tmp_path):
    wide = collect_replicates([])
    assert wide.empty and list(wide.columns) == TIDY_COLUMNS[:-1]
    write_replicates(wide, tmp_path / "b.csv")
    assert read_replicates(tmp_path / "b.csv").empty


@pytest.mark.parametrize("payload, field, problem", [
    (bootstrap_file({"AP": [0.1, 0.2]}, replicates=2), "replicates", "2 replicates, but"),
    (bootstrap_file({"AP": [0.1, 0.2, 0.3]}, seed=1), "seed/image_ids_sha256", "not paired"),
    (bootstrap_file({"AP": [0.1, 0.2, 0.3]}, sha="cd" * 32), "seed/image_ids_sha256", "not paired"),
    (bootstrap_file({"AP": [0.1, 0.2]}), "metrics.AP", "list of 3 finite numbers"),
    (bootstrap_file({"AP": [0.1, None, 0.3]}), "metrics.AP", "list of 3 finite numbers"),
    (bootstrap_file([0.1]), "metrics", "must be an object"),
    ({"metrics": {}}, "replicates", "integer >= 1"),
])
def test_bad_or_unpaired_bootstrap_file_names_the_file(boot_runs, payload, field, problem):
    path = write_run_file(boot_runs["root"], "lvis/faster_r50/x2/0", BOOTSTRAP, payload)
    with pytest.raises(InputError, match=problem) as err:
        collect_replicates([*boot_runs["bootstraps"], path])
    assert err.value.source == str(path) and err.value.field == field


def test_bootstrap_file_without_run_field_names_file_and_field(boot_runs, tmp_path):
    path = write_file(tmp_path, "bootstrap.json", bootstrap_file({"AP": [0.1, 0.2, 0.3]}))
    with pytest.raises(InputError, match="rerun `python -m harness evaluate`") as err:
        collect_replicates([*boot_runs["bootstraps"], path])
    assert err.value.source == str(path) and err.value.field == "run"


def test_other_data_sets_may_have_other_resamples(boot_runs):
    coco = write_run_file(boot_runs["root"], "coco/faster_r50/baseline/0", BOOTSTRAP,
                          bootstrap_file({"AP": [0.4, 0.5, 0.6]}, seed=5, sha="ef" * 32))
    assert sorted(set(collect_replicates([*boot_runs["bootstraps"], coco]).dataset)) == ["coco", "lvis"]


@pytest.mark.parametrize("text, field, problem", [
    ("dataset,model,variant,seed,metric,b0\nlvis,m,r,0,AP,0.2\n", "method", "missing column"),
    ("dataset,model,method,variant,seed,metric,b1,b0\nlvis,m,r,r,0,AP,0.2,0.3\n", "b1", "unexpected column"),
    ("dataset,model,method,variant,seed,metric,b0,note\nlvis,m,r,r,0,AP,0.2,x\n", "note", "unexpected column"),
    ("dataset,model,method,variant,seed,metric,b0\nlvis,m,r,r,0,AP,high\n", "seed/b*", "not numeric"),
    ("dataset,model,method,variant,seed,metric,b0,b1\nlvis,m,r,r,0,AP,0.2,\n", "line 2", "value is missing"),
])
def test_read_replicates_rejects_malformed_tables(tmp_path, text, field, problem):
    (tmp_path / "b.csv").write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        read_replicates(tmp_path / "b.csv")
    assert err.value.field == field


def test_read_replicates_wants_the_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_replicates(tmp_path / "none.csv")


def test_stage_writes_the_replicates_table(boot_runs, tmp_path, monkeypatch, capsys):
    from harness.stages import aggregate

    monkeypatch.chdir(REPO)
    out, boot = tmp_path / "tidy.csv", tmp_path / "bootstrap.csv"
    aggregate.run(stage_args(boot_runs, out, boot_runs["bootstraps"], boot))
    wide = read_replicates(boot)
    assert dict(zip(wide.variant, wide.method)) == {"baseline": "baseline", "bags_n8": "bags"}
    assert wide.shape == (3, 9) and read_tidy(out).shape == (9, 7)
    assert capsys.readouterr().out.splitlines()[-1] == f"aggregate: 3 metrics x 3 bootstrap replicates -> {boot}"
