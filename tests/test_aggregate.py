"""Aggregation of run folders into the tidy metrics table, and stage `aggregate`."""

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import InputError
from harness.report.aggregate import (TIDY_COLUMNS, collect_metrics, collect_replicates, read_replicates, read_tidy,
                                      write_replicates, write_tidy)

REPO = Path(__file__).resolve().parents[1]


def write_file(root: Path, relative: str, payload) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


@pytest.fixture
def runs(tmp_path) -> Path:
    """Baseline with 2 seeds (metrics + weight norms), one x2 seed, one bags_n8 seed, and files we skip."""
    root = tmp_path / "runs"
    base = "lvis/faster_r50/baseline"
    write_file(root, f"{base}/seed0/evaluate/metrics.json",
               {"thresholds": [4, 16, 64], "AP": 0.24, "APl": -1.0, "AP1": 0.0, "num_cats_bin1": 10,
                "note": "text", "flag": True, "missing": None})
    write_file(root, f"{base}/seed0/weight_norms/summary.json",
               {"param": "fc_cls", "spearman_rho_norm_vs_train_instances": -1.0, "num_categories": 40,
                "background_norm": None})
    write_file(root, f"{base}/seed1/evaluate/metrics.json", {"AP": 0.26, "AP_mask": 0.2})
    write_file(root, f"{base}/seed1/weight_norms/summary.json",
               {"spearman_rho_norm_vs_train_instances": 0.5, "background_norm": 1.25})
    write_file(root, "lvis/faster_r50/x2/seed0/evaluate/metrics.json", {"AP": 0.3})
    write_file(root, "lvis/faster_r50/bags_n8/seed0/evaluate/metrics.json", {"AP": 0.31})
    write_file(root, f"{base}/seed0/predict/meta.json", {"AP": 9.0})  # not a file we read
    write_file(root, f"{base}/notes/evaluate/metrics.json", {"AP": 9.0})  # not a seed folder
    return root


def test_one_sorted_row_per_metric(runs):
    tidy = collect_metrics(runs, {"x2": "x2", "bags_n8": "bags", "baseline": "baseline"})
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
    tidy = collect_metrics(runs)
    assert sorted(set(zip(tidy.method, tidy.variant))) == [
        ("bags_n8", "bags_n8"), ("baseline", "baseline"), ("x2", "x2")]


def test_empty_runs_root_gives_empty_table(tmp_path):
    tidy = collect_metrics(tmp_path)
    assert tidy.empty and list(tidy.columns) == TIDY_COLUMNS


@pytest.mark.parametrize("content, problem", [("{\"AP\": 0.2,", "malformed JSON"),
                                              ("[0.2, 0.3]", "expected a JSON object")])
def test_bad_metrics_file_names_the_file(tmp_path, content, problem):
    path = write_file(tmp_path, "lvis/faster_r50/x2/seed0/evaluate/metrics.json", content)
    with pytest.raises(InputError, match=problem) as err:
        collect_metrics(tmp_path)
    assert err.value.source == str(path)


def test_bad_weight_norm_summary_names_the_file(tmp_path):
    path = write_file(tmp_path, "lvis/faster_r50/x2/seed0/weight_norms/summary.json", "not json")
    with pytest.raises(InputError, match="malformed JSON") as err:
        collect_metrics(tmp_path)
    assert err.value.source == str(path)


def test_tidy_csv_round_trip(runs, tmp_path):
    tidy = collect_metrics(runs)
    write_tidy(tidy, tmp_path / "out" / "tidy.csv")
    pd.testing.assert_frame_equal(read_tidy(tmp_path / "out" / "tidy.csv"), tidy)
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_read_tidy_wants_every_column(tmp_path):
    (tmp_path / "t.csv").write_text("dataset,model,variant,seed,metric,value\nlvis,m,r,0,AP,0.2\n")
    with pytest.raises(InputError, match="missing column") as err:
        read_tidy(tmp_path / "t.csv")
    assert err.value.field == "method"


def test_stage_names_methods_from_the_profile(runs, tmp_path, monkeypatch, capsys):
    from harness.stages import aggregate

    monkeypatch.chdir(REPO)  # the profile's method files are configs/methods/<run id>.yaml
    out = tmp_path / "tidy.csv"
    aggregate.run(argparse.Namespace(runs=str(runs), profile="configs/profiles/default.yaml", out=str(out),
                                     bootstrap_out=None))
    tidy = read_tidy(out)
    assert dict(zip(tidy.variant, tidy.method)) == {"baseline": "baseline", "bags_n8": "bags", "x2": "x2"}
    assert capsys.readouterr().out == f"aggregate: 9 values of 3 runs (4 seed folders) -> {out}\n"


def test_stray_run_folders_do_not_reach_the_tables(runs, tmp_path, monkeypatch):
    """Folders the profile's run table does not list (an old run id, a seed it does not train, a model it
    does not run x2 on) are not read."""
    from harness.stages import aggregate

    for stray in ("lvis/faster_r50/old_method/seed0", "lvis/faster_r50/x2/seed7", "lvis/htc_x101/x2/seed0"):
        write_file(runs, f"{stray}/evaluate/metrics.json", {"AP": 0.9})
        write_file(runs, f"{stray}/evaluate/bootstrap.json", bootstrap_file({"AP": [0.9] * 3}))
    monkeypatch.chdir(REPO)
    out, boot = tmp_path / "tidy.csv", tmp_path / "bootstrap.csv"
    aggregate.run(argparse.Namespace(runs=str(runs), profile="configs/profiles/default.yaml", out=str(out),
                                     bootstrap_out=str(boot)))
    tidy, wide = read_tidy(out), read_replicates(boot)
    assert 0.9 not in set(tidy.value) and set(tidy.variant) == {"baseline", "bags_n8", "x2"}
    assert set(tidy.seed) == {0, 1} and "old_method" not in set(wide.variant)


def test_profile_methods_cover_every_run(monkeypatch):
    from harness.config import load_profile
    from harness.stages.aggregate import run_methods_of

    monkeypatch.chdir(REPO)
    methods = run_methods_of(load_profile("configs/profiles/default.yaml"), "default.yaml")
    assert methods["baseline"] == "baseline" and methods["bags_betaall"] == "bags"
    assert methods["rfs_finetune"] == "rfs_finetune" and methods["seesaw"] == "seesaw"


def test_stage_wants_an_existing_runs_folder(tmp_path):
    from harness.stages import aggregate

    with pytest.raises(InputError, match="runs folder does not exist"):
        aggregate.run(argparse.Namespace(runs=str(tmp_path / "none"), profile="p.yaml", out=str(tmp_path / "t.csv")))


def bootstrap_file(metrics: dict, replicates: int = 3, seed: int = 0, sha: str = "ab" * 32) -> dict:
    return {"replicates": replicates, "seed": seed, "num_images": 4, "image_ids_sha256": sha, "metrics": metrics}


@pytest.fixture
def boot_runs(runs) -> Path:
    """The tidy runs plus bootstrap files of two runs (3 replicates) and one outside a seed folder."""
    write_file(runs, "lvis/faster_r50/baseline/seed0/evaluate/bootstrap.json",
               bootstrap_file({"AP1": [-1.0, 0.1, 0.0], "AP": [0.2, 0.25, 0.3]}))
    write_file(runs, "lvis/faster_r50/bags_n8/seed0/evaluate/bootstrap.json",
               bootstrap_file({"AP_mask": [0.5, 0.125, 1.0]}))
    write_file(runs, "lvis/faster_r50/baseline/notes/evaluate/bootstrap.json", bootstrap_file({"AP": [9.0] * 3}))
    return runs


def test_replicates_table_is_wide_one_row_per_run_metric(boot_runs, tmp_path):
    wide = collect_replicates(boot_runs, {"bags_n8": "bags", "baseline": "baseline"})
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


def test_no_bootstrap_files_give_an_empty_table(runs, tmp_path):
    wide = collect_replicates(runs)
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
    path = write_file(boot_runs, "lvis/faster_r50/x2/seed0/evaluate/bootstrap.json", payload)
    with pytest.raises(InputError, match=problem) as err:
        collect_replicates(boot_runs)
    assert err.value.source == str(path) and err.value.field == field


def test_other_data_sets_may_have_other_resamples(boot_runs):
    write_file(boot_runs, "coco/faster_r50/baseline/seed0/evaluate/bootstrap.json",
               bootstrap_file({"AP": [0.4, 0.5, 0.6]}, seed=5, sha="ef" * 32))
    assert sorted(set(collect_replicates(boot_runs).dataset)) == ["coco", "lvis"]


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
    aggregate.run(argparse.Namespace(runs=str(boot_runs), profile="configs/profiles/default.yaml", out=str(out),
                                     bootstrap_out=str(boot)))
    wide = read_replicates(boot)
    assert dict(zip(wide.variant, wide.method)) == {"baseline": "baseline", "bags_n8": "bags"}
    assert wide.shape == (3, 9) and read_tidy(out).shape == (9, 7)
    assert capsys.readouterr().out.splitlines()[-1] == f"aggregate: 3 metrics x 3 bootstrap replicates -> {boot}"
