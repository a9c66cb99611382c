"""A real-data profile (`real_data`: local LVIS/COCO files) drives the same DAG as the synthetic one.

The fixture is the smoke benchmark rewritten like the real releases: no count scaling in the files
(real data is on the paper's scale), train and val images in separate folders (LVIS v0.5 annotates COCO
train2017 and val2017), COCO's category ids those of COCO 2017 (so COCO-LT takes the published counts
by id), and stuff maps in a folder of their own. The profile is smoke.yaml with `real_data` in place
of `synthetic` and bins and group layouts at the fixture's own scale.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from harness.data.coco_lt import COCO_2017_IDS

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
PROFILE = "real_fixture"


def snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)


def rewrite_like_a_release(synthetic: Path, out: Path, remap_ids: dict | None = None) -> dict:
    """Copy a synthetic data set (train.json, val.json, images/<split>/, stuff/<split>/) to a real
    release's layout under ``out``; return its `real_data` entry."""
    entry = {}
    for split in ("train", "val"):
        data = json.loads((synthetic / f"{split}.json").read_text())
        data["info"] = {"description": f"fixture rewritten from {synthetic.name} ({split})"}
        folder = out / f"{split}2017"
        folder.mkdir(parents=True, exist_ok=True)
        for image in data["images"]:
            shutil.copy(synthetic / "images" / image["file_name"], folder / Path(image["file_name"]).name)
            image["file_name"] = Path(image["file_name"]).name
        if remap_ids:
            for item in data["categories"] + data["annotations"]:
                key = "id" if "name" in item else "category_id"
                item[key] = remap_ids[item[key]]
        (out / f"{split}.json").write_text(json.dumps(data))
        entry[split], entry[f"{split}_images"] = str(out / f"{split}.json"), str(folder)
    shutil.copytree(synthetic / "stuff" / "train", out / "stuffthingmaps")
    entry["stuff"] = str(out / "stuffthingmaps")
    return entry


@pytest.fixture(scope="module")
def real_workdir(tmp_path_factory):
    """A copy of the workflow with a real-data profile over the rewritten smoke data sets."""
    root = tmp_path_factory.mktemp("real")
    for name in ("Snakefile", "workflow", "configs"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    made = snakemake(root, "results/smoke/data/lvis/train.json", "results/smoke/data/coco/train.json",
                     "--cores", "2", "--configfile", "configs/profiles/smoke.yaml")
    assert made.returncode == 0, made.stdout + made.stderr
    synthetic = root / "results" / "smoke" / "data"
    coco_ids = dict(zip(range(1, 81), COCO_2017_IDS))
    profile = yaml.safe_load((REPO / "configs/profiles/smoke.yaml").read_text())
    del profile["synthetic"]
    profile["profile"] = PROFILE
    profile["real_data"] = {"lvis": rewrite_like_a_release(synthetic / "lvis", root / "data" / "lvis"),
                            "coco": rewrite_like_a_release(synthetic / "coco", root / "data" / "coco", coco_ids)}
    del profile["real_data"]["coco"]["stuff"]  # only LVIS trains a semantic branch
    profile["bins"]["thresholds"] = [4, 16, 64]  # the smoke data's own scale (no count scaling in the files)
    profile["bags"]["group_layouts"]["n4"] = [4, 16, 64]
    # COCO-LT of the fixture holds 11-29 instances per category: the paper's group edges 20 / 400 / 8000
    # would leave groups empty (a clear error of the groups stage), so BAGS groups it at its own scale.
    profile["bags"]["group_layouts"]["coco_lt"] = [16, 22, 26]
    (root / "configs" / "profiles" / f"{PROFILE}.yaml").write_text(yaml.safe_dump(profile))
    return root


def profile_args(*targets):
    return [*targets, "--configfile", f"configs/profiles/{PROFILE}.yaml"]


def test_dry_run_reads_the_real_paths_and_synthesises_nothing(real_workdir):
    result = snakemake(real_workdir, "-n", "-p", "--cores", "1", *profile_args())
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "rule synth:" not in out
    data = real_workdir / "data"
    assert f"--source {data}/coco/train.json" in out  # COCO-LT from COCO train
    assert f"--images {data}/lvis/val2017" in out  # predictions on the val images
    assert f"--images {data}/lvis/train2017 --stuff {data}/lvis/stuffthingmaps" in out  # HTC trains its semantic branch
    assert f"--images {data}/coco/train2017 --work-dir" in out  # COCO has no stuff maps: no --stuff


def test_missing_real_path_names_the_profile_field(real_workdir, tmp_path):
    profile = yaml.safe_load((real_workdir / "configs/profiles" / f"{PROFILE}.yaml").read_text())
    profile["real_data"]["lvis"]["val_images"] = str(tmp_path / "absent")
    bad = tmp_path / f"{PROFILE}.yaml"
    bad.write_text(yaml.safe_dump(profile))
    result = snakemake(real_workdir, "-n", "--cores", "1", "--configfile", str(bad))
    assert result.returncode != 0
    assert "real_data.lvis.val_images" in result.stdout + result.stderr
    assert "does not exist" in result.stdout + result.stderr


@pytest.mark.pipeline
def test_real_profile_builds_coco_lt_by_id_and_runs_baseline_and_bags(real_workdir):
    results = Path("results") / PROFILE
    run = str(results / "runs/{}/faster_r50/{}/seed0/evaluate/metrics.json")
    runs = [("lvis", "baseline"), ("lvis", "bags"), ("coco_lt", "bags")]
    targets = [results / "data/coco_lt/report.json", results / "stats/lvis/summary.json",
               *(run.format(*r) for r in runs)]
    result = snakemake(real_workdir, "--cores", "2", *profile_args(*map(str, targets)))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((real_workdir / targets[0]).read_text())
    assert report["match"] == "id" and report["bin_thresholds"] == [20, 400, 8000]
    lt = json.loads((real_workdir / results / "data/coco_lt/train.json").read_text())
    assert "count_scaling" not in lt["info"]  # real COCO is on the paper's scale
    for dataset, method in runs:
        metrics = json.loads((real_workdir / run.format(dataset, method)).read_text())
        assert 0 <= metrics["AP"] <= 1 and "AP4" in metrics
    coco_lt = json.loads((real_workdir / run.format("coco_lt", "bags")).read_text())
    assert coco_lt["AP3"] == coco_lt["AP4"] == -1  # no fixture category reaches COCO-LT's 400-instance bin
    assert not (real_workdir / results / "data" / "lvis").exists()  # nothing synthesised or copied
    summary = json.loads((real_workdir / targets[1]).read_text())
    assert summary["thresholds"] == [4, 16, 64]  # the profile's bins (the files record none)


def test_paper_profile_resolves_on_real_data(real_workdir, tmp_path):
    """configs/profiles/lvis_v05.yaml with its data paths pointed at the fixture: the paper's models per
    data set (LVIS from COCO detectors, COCO and COCO-LT from ImageNet), no synthetic data, every target."""
    profile = yaml.safe_load((REPO / "configs/profiles/lvis_v05.yaml").read_text())
    fixture = yaml.safe_load((real_workdir / "configs/profiles" / f"{PROFILE}.yaml").read_text())
    profile["real_data"] = fixture["real_data"]
    path = tmp_path / "lvis_v05.yaml"
    path.write_text(yaml.safe_dump(profile))
    result = snakemake(real_workdir, "-n", "-p", "--cores", "1", "--configfile", str(path))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "rule synth:" not in out
    train = [line for line in out.splitlines() if " -m harness.warm train " in line]  # a local run: warm start
    assert any("configs/models/coco/faster_rcnn_r50_fpn.py" in line and "/coco_lt/" in line for line in train)
    assert any("configs/models/lvis/faster_rcnn_r50_fpn.py" in line and "/lvis/" in line for line in train)
    assert not any("configs/models/synthetic" in line for line in train)
    assert "--thresholds 10 100 1000" in out  # the paper's bins for LVIS
