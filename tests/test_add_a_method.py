"""Adding a method as docs/methods.md tells it: one module, one YAML, nothing else edited.

The test copies the harness and its configs, writes the documentation's own code blocks (a method with
its own mmdet loss, label-smoothed cross-entropy, and its method file) into the copy, and follows the
run through training, prediction, evaluation, aggregation and the tables: it appears as an extra row of
Table 1 without any edit to the registry or to tables.yaml.
"""

import csv
import re
import shutil
from pathlib import Path

import pytest

from conftest import MODEL_CONFIG, REPO, run_harness, train_args

DOCS = REPO / "docs" / "methods.md"


def documented_block(language: str, first_line: str) -> str:
    """The fenced ``language`` block of docs/methods.md whose first line is ``first_line``, without it."""
    pattern = rf"```{language}\n{re.escape(first_line)}\n(.*?)```"
    match = re.search(pattern, DOCS.read_text(), re.S)
    assert match, f"docs/methods.md has no {language} block starting {first_line!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def copy_with_method(tmp_path_factory) -> Path:
    """A copy of harness/, configs/ and the profile schema, plus the documented label_smoothing module and method file."""
    root = tmp_path_factory.mktemp("added")
    shutil.copytree(REPO / "harness", root / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "configs", root / "configs")
    shutil.copytree(REPO / "workflow" / "schemas", root / "workflow" / "schemas")  # the profile schema
    (root / "harness" / "methods" / "label_smoothing.py").write_text(
        documented_block("python", "# harness/methods/label_smoothing.py"))
    (root / "configs" / "methods" / "label_smoothing.yaml").write_text(
        documented_block("yaml", "# configs/methods/label_smoothing.yaml (run id = file name; table1_row only for the "
                                 "paper's rows)"))
    return root


def test_the_copy_lists_the_new_method(copy_with_method):
    result = run_harness("methods", "label_smoothing", cwd=copy_with_method)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "label_smoothing  [train]"
    assert "method files: label_smoothing" in result.stdout
    bad = run_harness("methods", "label_smoothing", cwd=REPO)  # the repository itself does not have it
    assert bad.returncode == 2 and "unknown method 'label_smoothing'" in bad.stderr


@pytest.mark.pipeline
def test_a_documented_method_reaches_table1(copy_with_method, synthetic_lvis, tmp_path):
    root, run = copy_with_method, tmp_path / "run"
    identity = ("--run", "lvis/faster_r50/label_smoothing/0")
    trained = run_harness(*train_args(synthetic_lvis, run, 1, "--method", "label_smoothing", "--option", "eps=0.2",
                                      *identity), cwd=root)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "LabelSmoothingLoss" in (run / "work").joinpath(MODEL_CONFIG.name).read_text()  # the dumped config
    predicted = run_harness("predict", "--model-config", str(MODEL_CONFIG), "--checkpoint", str(run / "model.pth"),
                            "--ann", str(synthetic_lvis / "val.json"), "--images", str(synthetic_lvis / "images"),
                            "--dets", str(run / "dets.json"), "--proposals", str(run / "proposals.npz"),
                            "--meta", str(run / "predict_meta.json"), "--method", "label_smoothing",
                            "--option", "eps=0.2", *identity, cwd=root)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    evaluated = run_harness("evaluate", "--gt", str(synthetic_lvis / "val.json"), "--dets", str(run / "dets.json"),
                            "--train-stats", str(synthetic_lvis / "train.json"), "--proposals", str(run / "proposals.npz"),
                            "--out", str(run / "metrics.json"), *identity, cwd=root)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    aggregated = run_harness("aggregate", "--metrics", str(run / "metrics.json"), "--profile",
                             "configs/profiles/smoke.yaml", "--out", str(tmp_path / "tidy.csv"), cwd=root)
    assert aggregated.returncode == 0, aggregated.stderr
    tables = run_harness("tables", "--tidy", str(tmp_path / "tidy.csv"), "--spec", "configs/paper/tables.yaml",
                         "--paper-dir", "configs/paper", "--figures", "configs/paper/figures.yaml",
                         "--out-dir", str(tmp_path / "tables"), cwd=root)
    assert tables.returncode == 0, tables.stderr
    assert "table1: runs named by no table or figure, added as extra rows: label_smoothing" in tables.stdout
    rows = [r for r in csv.DictReader((tmp_path / "tables" / "table1.csv").open())
            if r["run"] == "label_smoothing" and r["column"] == "mAP"]
    assert [(r["row_name"], r["status"], r["seeds"]) for r in rows] == [("label_smoothing (not in the paper)",
                                                                         "reproduced", "1")]
