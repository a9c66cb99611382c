"""Stages that compute no tensors import no torch, mmcv, mmengine or mmdet (seconds of start-up each)."""

import json
import subprocess
import sys

import pytest

from conftest import REPO

CASE = REPO / "tests" / "fixtures" / "eval_case"
HEAVY = ("torch", "torchvision", "mmcv", "mmengine", "mmdet")
PROBE = """
import json, sys
from harness.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "heavy": sorted({name.split(".")[0] for name in sys.modules} & set(%r))}))
""" % (HEAVY,)


def heavy_imports(*argv: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True)
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["status"] == 0, result.stderr[-2000:]
    return report["heavy"]


@pytest.mark.parametrize("argv", [
    ["evaluate", "--gt", str(CASE / "lvis_v0.5_val_100.json"), "--dets", str(CASE / "lvis_v0.5_val_100.detections.json"),
     "--keep-degenerate-boxes", "--out", "{tmp}/metrics.json"],
    ["groups", "--stats", str(CASE / "lvis_v0.5_val_100.json"), "--thresholds", "2", "5", "10",
     "--out", "{tmp}/groups.json"],
    ["methods"],
], ids=["evaluate", "groups", "methods"])
def test_stage_imports_no_torch(argv, tmp_path):
    assert heavy_imports(*(arg.format(tmp=tmp_path) for arg in argv)) == []


def test_a_figure_imports_no_torch(tmp_path):
    groups = tmp_path / "groups.json"
    assert heavy_imports("groups", "--stats", str(CASE / "lvis_v0.5_val_100.json"), "--thresholds", "2", "5", "10",
                         "--out", str(groups)) == []
    assert heavy_imports("figure2", "--groups", str(groups), "--beta", "8", "--png", str(tmp_path / "f.png"),
                         "--svg", str(tmp_path / "f.svg")) == []
