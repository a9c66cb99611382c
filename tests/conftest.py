import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LVIS_V05_STATS = REPO / "configs" / "data" / "lvis_v0.5_train_category_stats.json"


# Fixtures that train a detector: every test using one (directly or through another fixture) is a
# pipeline test, besides the ones marked explicitly.
PIPELINE_FIXTURES = {"smoke_baseline"}


def pytest_collection_modifyitems(items):
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pipeline)


def run_harness(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run ``python -m harness ARGS`` in a subprocess, as Snakemake would."""
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def write_json(tmp_path):
    def _write(name: str, payload) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(payload))
        return path

    return _write


# Six categories, hand-binned with thresholds (10, 100, 1000):
#   G1 (<10): 1 (4), 5 (9)   G2 [10,100): 2 (15)   G3 [100,1000): 3 (150), 9 (100)   G4 (>=1000): 7 (2000)
MICRO_COUNTS = {3: 150, 1: 4, 7: 2000, 5: 9, 9: 100, 2: 15}


@pytest.fixture
def micro_stats(write_json):
    return write_json("stats.json", {"categories": [{"id": c, "instance_count": n} for c, n in MICRO_COUNTS.items()]})


def synth(out_dir: Path, kind: str, seed: int = 0, *extra: str) -> subprocess.CompletedProcess:
    """Run the synth stage at smoke size into ``out_dir``."""
    return run_harness(
        "synth", "--kind", kind, "--seed", str(seed), "--reference-stats", str(LVIS_V05_STATS),
        "--train-json", str(out_dir / "train.json"), "--val-json", str(out_dir / "val.json"),
        "--images", str(out_dir / "images"), "--stuff", str(out_dir / "stuff"), "--meta", str(out_dir / "meta.json"),
        "--image-size", "48", "--object-size", "4", "12", "--max-objects", "4",
        "--num-categories", "12" if kind == "lvis" else "80", "--min-categories-per-bin", "2",
        "--train-per-category", "24", "--val-per-category", "3", *extra,
    )


def _generated(tmp_path_factory, kind: str) -> Path:
    out = tmp_path_factory.mktemp(f"synthetic_{kind}")
    result = synth(out, kind)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def synthetic_lvis(tmp_path_factory) -> Path:
    return _generated(tmp_path_factory, "lvis")


@pytest.fixture(scope="session")
def synthetic_coco(tmp_path_factory) -> Path:
    return _generated(tmp_path_factory, "coco")


MODEL_CONFIG = REPO / "configs" / "models" / "synthetic" / "faster_rcnn_r18_fpn.py"


def train_args(data: Path, run: Path, epochs: int, *extra: str) -> list[str]:
    """`harness train` on a synthetic data set folder, outputs in ``run``."""
    return ["train", "--model-config", str(MODEL_CONFIG), "--train-ann", str(data / "train.json"),
            "--images", str(data / "images"), "--work-dir", str(run / "work"), "--seed", "0",
            "--epochs", str(epochs), "--out", str(run / "model.pth"), "--log", str(run / "log.jsonl"),
            "--meta", str(run / "meta.json"), "--threads", "2", *extra]


@pytest.fixture(scope="session")
def smoke_baseline(synthetic_lvis, tmp_path_factory) -> Path:
    """A 2-epoch baseline on the smoke-sized LVIS-shaped set."""
    run = tmp_path_factory.mktemp("baseline")
    result = run_harness(*train_args(synthetic_lvis, run, 2))
    assert result.returncode == 0, result.stderr[-3000:]
    return run


@pytest.fixture(scope="session")
def groups(synthetic_lvis, tmp_path_factory) -> Path:
    """The N = 4 BAGS group layout (paper-scale edges 10 / 100 / 1000) of the smoke-sized LVIS-shaped set."""
    out = tmp_path_factory.mktemp("groups") / "n4.json"
    result = run_harness("groups", "--stats", str(synthetic_lvis / "train.json"), "--thresholds", "10", "100", "1000",
                         "--paper-scale", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out
