"""harness.warm: commands forked from a warm server behave as ``python -m harness`` does."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import REPO, run_harness, train_args
from harness.engine.checkpoints import load_exported


@pytest.fixture
def warm_env(tmp_path):
    """An environment whose warm server lives in its own folder and stops 20 s after its last call."""
    folder = tmp_path / "warm"
    folder.mkdir()
    env = {**os.environ, "HARNESS_WARM_DIR": str(folder), "HARNESS_WARM_IDLE_SECONDS": "20"}
    yield env
    for lock in folder.glob("*.lock"):  # stop the server: its lock file holds its process id
        if lock.read_text().strip():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(lock.read_text()), signal.SIGTERM)


def run_warm(*args: str, env: dict, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.warm", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)


def test_output_and_exit_status_match_a_fresh_process(warm_env, tmp_path):
    fresh = run_harness("methods")
    first = run_warm("methods", env=warm_env)
    second = run_warm("methods", env=warm_env)
    assert first.returncode == second.returncode == fresh.returncode == 0
    assert first.stdout == second.stdout == fresh.stdout and "bags" in fresh.stdout
    assert len(list(Path(warm_env["HARNESS_WARM_DIR"]).glob("*.sock"))) == 1  # one server served both
    missing = tmp_path / "missing.yaml"
    fresh_error = run_harness("check-config", str(missing))
    warm_error = run_warm("check-config", str(missing), env=warm_env)
    assert warm_error.returncode == fresh_error.returncode == 2
    assert warm_error.stderr == fresh_error.stderr and "missing.yaml" in warm_error.stderr


def test_the_caller_s_directory_and_environment_reach_the_command(warm_env, synthetic_lvis, tmp_path):
    run_warm("methods", env=warm_env)  # the server is up before the call under test
    relative = ["groups", "--stats", str(synthetic_lvis / "train.json"), "--thresholds", "10", "100", "1000",
                "--paper-scale", "--out", "n4.json"]
    result = run_warm(*relative, env=warm_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "n4.json").is_file() and not (REPO / "n4.json").exists()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert run_harness(*relative, cwd=plain).returncode == 0
    assert (tmp_path / "n4.json").read_bytes() == (plain / "n4.json").read_bytes()
    off = run_warm("methods", env={**warm_env, "HARNESS_WARM": "0", "HARNESS_WARM_DIR": str(tmp_path / "none")})
    assert off.returncode == 0 and not (tmp_path / "none").exists()  # HARNESS_WARM=0: no server at all


@pytest.mark.pipeline
def test_a_warm_training_equals_a_fresh_one(warm_env, smoke_baseline, synthetic_lvis, tmp_path):
    result = run_warm(*train_args(synthetic_lvis, tmp_path, 2), env=warm_env)
    assert result.returncode == 0, result.stderr[-3000:]
    warm, fresh = load_exported(tmp_path / "model.pth"), load_exported(smoke_baseline / "model.pth")
    assert warm["state_dict"].keys() == fresh["state_dict"].keys()
    for name, tensor in fresh["state_dict"].items():
        assert torch.equal(warm["state_dict"][name], tensor), name


@pytest.mark.pipeline
def test_the_command_stops_with_its_caller(warm_env, synthetic_lvis, tmp_path):
    args = [sys.executable, "-m", "harness.warm", *train_args(synthetic_lvis, tmp_path, 4)]
    caller = subprocess.Popen(args, cwd=REPO, env=warm_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (tmp_path / "work" / "epoch_1.pth").exists():
        assert caller.poll() is None and time.time() < deadline, "training ended before its first checkpoint"
        time.sleep(0.2)
    caller.send_signal(signal.SIGKILL)  # the caller cannot forward this one: the child sees it go
    caller.wait()
    time.sleep(20)  # an epoch of the smoke training takes a few seconds
    assert not (tmp_path / "model.pth").exists()
    assert not (tmp_path / "work" / "epoch_4.pth").exists()
