"""Resuming a training: bit-identical to the uninterrupted one, relocatable work dirs, damaged checkpoints
and epoch logs, the work dir lock, the process times in meta.json."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import MODEL_CONFIG, REPO, run_harness
from harness.errors import InputError

SMALL_IMAGES = 24  # 3 iterations of the smoke model's batch of 8 per epoch
EPOCHS = 3


def small_subset(data: Path, out: Path, images: int = SMALL_IMAGES) -> Path:
    """The first ``images`` annotated images of a synthetic LVIS-shaped train set, as ``out/train.json``."""
    full = json.loads((data / "train.json").read_text())
    annotated = sorted({ann["image_id"] for ann in full["annotations"]})[:images]
    keep = set(annotated)
    subset = {**full, "images": [im for im in full["images"] if im["id"] in keep],
              "annotations": [ann for ann in full["annotations"] if ann["image_id"] in keep]}
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.json").write_text(json.dumps(subset))
    return out / "train.json"


def small_train_args(train_json: Path, images: Path, run: Path) -> list[str]:
    """`harness train` for EPOCHS epochs on one thread, outputs in ``run``."""
    return ["train", "--model-config", str(MODEL_CONFIG), "--train-ann", str(train_json), "--images", str(images),
            "--work-dir", str(run / "work"), "--seed", "0", "--epochs", str(EPOCHS), "--out", str(run / "model.pth"),
            "--log", str(run / "log.jsonl"), "--meta", str(run / "meta.json"), "--threads", "1"]


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 900) -> None:
    deadline = time.time() + seconds
    while not path.exists():
        assert process.poll() is None, f"training ended (exit {process.returncode}) before {path.name} appeared"
        assert time.time() < deadline, f"no {path.name} after {seconds} s"
        time.sleep(0.1)


def tensor_differences(first: dict, second: dict) -> tuple[int, list[str], float]:
    """(tensors compared, names of unequal ones, max abs difference) of two state dicts with the same keys."""
    assert first.keys() == second.keys()
    unequal = [name for name in first if not torch.equal(first[name], second[name])]
    max_diff = max((float((first[n].double() - second[n].double()).abs().max()) for n in first if first[n].numel()),
                   default=0.0)
    return len(first), unequal, max_diff


def losses(run: Path) -> list[dict]:
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"}
            for line in (run / "log.jsonl").read_text().splitlines()]


@pytest.mark.pipeline
def test_a_resumed_training_equals_the_uninterrupted_one(synthetic_lvis, tmp_path):
    """SIGTERM during epoch 2, the work dir moved, the rerun resumes from epoch 1: every tensor of the final
    checkpoint and of the exported model equals the uninterrupted run's."""
    train_json = small_subset(synthetic_lvis, tmp_path / "data")
    images = synthetic_lvis / "images"
    started = time.time()
    whole = run_harness(*small_train_args(train_json, images, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-3000:]
    whole_seconds = time.time() - started

    first = tmp_path / "first"
    process = subprocess.Popen([sys.executable, "-m", "harness", *small_train_args(train_json, images, first)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(first / "work" / "epoch_1.pth", process)  # saved atomically: complete once it exists
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 143, stderr[-3000:]  # stopped by the signal, cleanups run
    work_files = {path.name for path in (first / "work").iterdir()}
    assert "epoch_1.pth" in work_files and "epoch_3.pth" not in work_files and not (first / "model.pth").exists()
    assert (first / "work" / "train.lock").read_text() == ""  # released on SIGTERM

    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(first / "work", moved / "work")  # mmengine's last_checkpoint still names first/work
    started = time.time()
    rerun = run_harness(*small_train_args(train_json, images, moved))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    resumed_seconds = time.time() - started
    resumed_from = int(rerun.stdout.split("train: resuming from ")[1].split("epoch_")[1].split(".pth")[0])
    assert str(moved / "work") in rerun.stdout and resumed_from in (1, 2)

    final_whole = torch.load(tmp_path / "whole" / "work" / f"epoch_{EPOCHS}.pth", map_location="cpu", weights_only=False)
    final_resumed = torch.load(moved / "work" / f"epoch_{EPOCHS}.pth", map_location="cpu", weights_only=False)
    compared, unequal, max_diff = tensor_differences(final_whole["state_dict"], final_resumed["state_dict"])
    exported = tensor_differences(torch.load(tmp_path / "whole" / "model.pth", weights_only=True)["state_dict"],
                                  torch.load(moved / "model.pth", weights_only=True)["state_dict"])
    print(f"\nresume: {compared} tensors compared, {len(unequal)} unequal, max abs difference {max_diff}; exported "
          f"{exported[0]} tensors, {len(exported[1])} unequal; resumed from epoch {resumed_from}; uninterrupted "
          f"{whole_seconds:.0f} s, rerun {resumed_seconds:.0f} s")
    assert compared > 100 and unequal == [] and max_diff == 0.0
    assert exported[0] == compared and exported[1] == []
    assert losses(tmp_path / "whole") == losses(moved)

    meta = json.loads((moved / "meta.json").read_text())
    assert meta["resumed"] is True and meta["epochs"] == EPOCHS
    assert [p["resumed_from_epoch"] for p in meta["processes"]] == [None, resumed_from]
    assert meta["train_seconds"] == pytest.approx(sum(p["seconds"] for p in meta["processes"]), abs=0.2)
    assert all(p["seconds"] > 0 for p in meta["processes"])
    whole_meta = json.loads((tmp_path / "whole" / "meta.json").read_text())
    assert whole_meta["resumed"] is False and len(whole_meta["processes"]) == 1


# --- checkpoints: found by name, damaged ones skipped -------------------------------------------------------

def save_checkpoint(path: Path, epoch: int) -> None:
    torch.save({"state_dict": {"w": torch.zeros(2)}, "meta": {"epoch": epoch}}, path)


def test_epoch_checkpoints_are_found_by_name_latest_first(tmp_path):
    from harness.engine.checkpoints import epoch_checkpoints, latest_readable_checkpoint

    for epoch in (2, 10, 9):
        save_checkpoint(tmp_path / f"epoch_{epoch}.pth", epoch)
    (tmp_path / "epoch_x.pth").write_text("not one")
    (tmp_path / "last_checkpoint").write_text("/elsewhere/work/epoch_2.pth")
    assert [p.name for p in epoch_checkpoints(tmp_path)] == ["epoch_10.pth", "epoch_9.pth", "epoch_2.pth"]
    assert latest_readable_checkpoint(tmp_path) == tmp_path / "epoch_10.pth"
    assert latest_readable_checkpoint(tmp_path / "absent") is None


def test_a_truncated_last_checkpoint_falls_back_to_the_one_before(tmp_path, capsys):
    from harness.engine.checkpoints import latest_readable_checkpoint

    save_checkpoint(tmp_path / "epoch_1.pth", 1)
    save_checkpoint(tmp_path / "epoch_2.pth", 2)
    whole = (tmp_path / "epoch_2.pth").read_bytes()
    (tmp_path / "epoch_2.pth").write_bytes(whole[: len(whole) // 2])
    assert latest_readable_checkpoint(tmp_path) == tmp_path / "epoch_1.pth"
    assert f"skipping unreadable checkpoint {tmp_path / 'epoch_2.pth'}" in capsys.readouterr().err


def test_no_readable_checkpoint_is_a_clear_error(tmp_path):
    from harness.engine.checkpoints import latest_readable_checkpoint

    (tmp_path / "epoch_1.pth").write_bytes(b"")
    torch.save({"weights": 1}, tmp_path / "epoch_2.pth")  # loads, but is no training checkpoint
    with pytest.raises(InputError, match=r"epoch_2.pth: no epoch checkpoint in .* is readable \(2 tried\)"):
        latest_readable_checkpoint(tmp_path)


def test_checkpoint_writes_in_the_work_dir_are_atomic(tmp_path):
    from mmengine.fileio.backends import LocalBackend

    from harness.engine.checkpoints import atomic_checkpoint_saves

    with atomic_checkpoint_saves(tmp_path / "work"):
        LocalBackend().put(b"complete", tmp_path / "work" / "epoch_1.pth")
        LocalBackend().put(b"outside", tmp_path / "other.pth")
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["epoch_1.pth"]  # no temporary left
    assert (tmp_path / "work" / "epoch_1.pth").read_bytes() == b"complete"
    assert (tmp_path / "other.pth").read_bytes() == b"outside"
    assert LocalBackend.put.__qualname__ == "LocalBackend.put"  # restored


# --- the epoch log ------------------------------------------------------------------------------------------

def test_the_epoch_log_keeps_the_resumed_epochs_and_drops_a_cut_line(tmp_path, capsys):
    from harness.models.train_hooks import trim_epoch_log

    log = tmp_path / "epochs.jsonl"
    log.write_text('{"epoch": 1, "loss": 2.0}\n{"epoch": 2, "loss": 1.5}\n{"epoch": 3, "loss": 1.2}\n{"epoch": 4, "lo')
    trim_epoch_log(log, 2)
    assert log.read_text() == '{"epoch": 1, "loss": 2.0}\n{"epoch": 2, "loss": 1.5}\n'
    assert f"dropping the incomplete last line of {log}" in capsys.readouterr().err
    trim_epoch_log(tmp_path / "new" / "epochs.jsonl", 0)
    assert (tmp_path / "new" / "epochs.jsonl").read_text() == ""


def test_a_malformed_line_inside_the_epoch_log_is_a_clear_error(tmp_path):
    from harness.models.train_hooks import trim_epoch_log

    log = tmp_path / "epochs.jsonl"
    log.write_text('{"epoch": 1}\n{"ep\n{"epoch": 2}\n')
    with pytest.raises(InputError, match="epochs.jsonl: field 'line 2': is not a JSON record"):
        trim_epoch_log(log, 2)


# --- the work dir lock --------------------------------------------------------------------------------------

def test_a_second_training_on_a_held_work_dir_is_refused(tmp_path):
    """flock locks belong to an open file, so the test process holding the lock blocks itself as it
    would block another process: the error names the work dir and the holder's pid (ours)."""
    from harness.stages.train import work_dir_lock

    with work_dir_lock(tmp_path / "work"):
        assert (tmp_path / "work" / "train.lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(InputError, match=rf"work: another training \(pid {os.getpid()}\) is using this work dir"):
            with work_dir_lock(tmp_path / "work"):
                pass
    with work_dir_lock(tmp_path / "work"):  # released
        pass


def test_a_second_training_process_is_refused(tmp_path):
    """Another process holds the lock (until its stdin closes) while `harness train` starts on the work dir."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys; from pathlib import Path; from harness.stages.train import work_dir_lock\n"
        "with work_dir_lock(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()"),
        str(tmp_path / "work")], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        (tmp_path / "train.json").write_text(json.dumps({"images": [], "annotations": [],
                                                         "categories": [{"id": 1, "name": "thing"}]}))
        result = run_harness("train", "--model-config", str(MODEL_CONFIG), "--train-ann", str(tmp_path / "train.json"),
                             "--images", str(tmp_path), "--work-dir", str(tmp_path / "work"), "--seed", "0",
                             "--out", str(tmp_path / "m.pth"), "--log", str(tmp_path / "l.jsonl"),
                             "--meta", str(tmp_path / "meta.json"))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"another training (pid {holder.pid}) is using this work dir" in result.stderr


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    from harness.stages.train import work_dir_lock

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "train.lock").write_text(f"{dead.pid}\n")
    with work_dir_lock(tmp_path / "work"):
        assert (tmp_path / "work" / "train.lock").read_text() == f"{os.getpid()}\n"
    assert f"taking over the stale lock {tmp_path / 'work' / 'train.lock'} of pid {dead.pid}" in capsys.readouterr().out
    assert (tmp_path / "work" / "train.lock").read_text() == ""


# --- random states, process times, data workers -------------------------------------------------------------

def draws() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_random_states_survive_a_checkpoint_round_trip(tmp_path):
    from harness.models.train_hooks import capture_random_states, restore_random_states

    torch.save({"states": capture_random_states()}, tmp_path / "c.pth")
    expected = draws()
    restore_random_states(torch.load(tmp_path / "c.pth", weights_only=False)["states"])
    assert draws() == expected


def test_process_times_accumulate_over_resumes_and_restart_with_a_fresh_training(tmp_path):
    from harness.models.train_hooks import read_process_entries, start_process_entry, update_process_seconds

    path = tmp_path / "processes.json"
    start_process_entry(path, None)
    update_process_seconds(path)
    start_process_entry(path, 1)
    entries = read_process_entries(path)
    assert [e["resumed_from_epoch"] for e in entries] == [None, 1] and entries[1]["seconds"] == 0.0
    assert {"started", "seconds", "resumed_from_epoch"} == set(entries[0])
    start_process_entry(path, None)  # no checkpoint: a new training, the old processes did not make it
    assert len(read_process_entries(path)) == 1


def test_data_workers_are_reseeded_each_epoch_from_torch(tmp_path):
    from mmengine.config import Config

    from harness.stages.train import make_resumable

    cfg = Config({"train_dataloader": {"num_workers": 2, "persistent_workers": True}})
    make_resumable(cfg, tmp_path)
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.train_dataloader.worker_init_fn == {"type": "seed_data_worker"}
    assert [hook["type"] for hook in cfg.custom_hooks] == ["RandomStateHook", "ProcessTimeHook"]
