import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LVIS_V05_STATS = REPO / "configs" / "data" / "lvis_v0.5_train_category_stats.json"


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
