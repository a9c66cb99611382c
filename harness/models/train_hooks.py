"""mmengine hooks of the harness: the per-epoch JSON log, and what makes a resumed training exact.

A training that is interrupted and rerun continues from its last epoch checkpoint. mmengine restores
the weights, optimizer, parameter schedulers and message hub; :class:`RandomStateHook` adds the random
generators (python, numpy, torch CPU and CUDA) and the data sampler's seed, so that the resumed epochs
draw what the uninterrupted training would have drawn. :class:`ProcessTimeHook` keeps the time of
every process that worked on a training (``processes.json`` in the work dir).
"""

import datetime
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from mmengine.dist import all_reduce, get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.registry import FUNCTIONS
from mmdet.registry import HOOKS

from harness.errors import InputError
from harness.io import read_json, write_json_atomic

RANDOM_STATES_KEY = "harness_random_states"


@HOOKS.register_module()
class EpochJsonLogHook(Hook):
    """Append {epoch, iter, lr, mean of every loss term, seconds, peak memory} after each epoch, and with
    ``iter_path`` {iter, every loss term} after each iteration.

    On resume, lines of epochs (iterations) after the resumed one, written before an interrupt, and a line
    cut short by the interrupt are dropped first (:func:`trim_epoch_log`), so the file has exactly one line
    per finished epoch (iteration) of the training being continued.

    In a distributed training (:mod:`harness.engine.distributed`) every loss term is the mean over the
    processes, each of which saw its share of the batch, and only the main process writes.
    """

    priority = "NORMAL"

    def __init__(self, path: str, iter_path: str | None = None):
        self.path = Path(path)
        self.iter_path = Path(iter_path) if iter_path else None
        self.sums: dict[str, float] = defaultdict(float)
        self.count = 0
        self.start = time.time()

    def before_train(self, runner) -> None:
        if is_main_process():
            trim_epoch_log(self.path, runner.epoch)
            if self.iter_path is not None:
                trim_iteration_log(self.iter_path, runner.iter)

    def before_train_epoch(self, runner) -> None:
        self.sums.clear()
        self.count = 0
        self.start = time.time()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        losses = mean_over_processes({name: float(value) for name, value in (outputs or {}).items()})
        for name, value in losses.items():
            self.sums[name] += value
        self.count += 1
        if self.iter_path is not None and is_main_process():
            with self.iter_path.open("a") as handle:
                handle.write(json.dumps({"iter": runner.iter + 1, **dict(sorted(losses.items()))}) + "\n")

    def after_train_epoch(self, runner) -> None:
        if not is_main_process():
            return
        record = {
            "epoch": runner.epoch + 1,
            "iter": runner.iter,
            "lr": runner.optim_wrapper.get_lr()["lr"][0],
            **{name: total / max(self.count, 1) for name, total in sorted(self.sums.items())},
            "seconds": round(time.time() - self.start, 3),
            "max_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if torch.cuda.is_available() else None,
        }
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")


def mean_over_processes(values: dict[str, float]) -> dict[str, float]:
    """``values`` averaged over the processes of a distributed training (as is outside one). Every process
    must call it with the same names, in any order."""
    if get_world_size() == 1 or not values:
        return values
    names = sorted(values)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tensor = torch.tensor([values[name] for name in names], dtype=torch.float64, device=device)
    all_reduce(tensor, op="mean")
    return dict(zip(names, tensor.tolist()))


def trim_iteration_log(path: str | Path, iters: int) -> None:
    """Rewrite the iteration log at ``path`` with only its records of iterations 1..``iters`` (creating it
    if absent); lines that are not such a record (one cut short by a kill) are dropped."""
    path = Path(path)
    kept = []
    for line in (path.read_text().splitlines() if path.is_file() else []):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("iter"), int) and record["iter"] <= iters:
            kept.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in kept))


def trim_epoch_log(path: str | Path, epochs: int) -> None:
    """Rewrite the epoch log at ``path`` with only its lines of epochs 1..``epochs`` (creating it if absent).

    A last line that is not a JSON record (cut short by a kill) is dropped with a warning; a malformed
    line before the last is an :class:`InputError`.
    """
    path = Path(path)
    lines = path.read_text().splitlines() if path.is_file() else []
    kept = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _epoch_record(line)
        if record is None and number == len(lines):
            print(f"train: warning: dropping the incomplete last line of {path}", file=sys.stderr)
        elif record is None:
            raise InputError(path, f"line {number}", "is not a JSON record with an integer 'epoch'")
        elif record["epoch"] <= epochs:
            kept.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in kept))


def _epoch_record(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("epoch"), int) else None


def capture_random_states() -> dict:
    """The states of python's ``random``, numpy's global generator, torch's CPU (and CUDA) generators."""
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_random_states(states: dict) -> None:
    """Set the generators to ``states`` from :func:`capture_random_states` (tensors may arrive on a GPU)."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([state.cpu() for state in states["cuda"]])


def data_sampler(dataloader):
    """The sampler that orders a training data loader's images (inside its batch sampler if it has one)."""
    batch_sampler = getattr(dataloader, "batch_sampler", None)
    inner = getattr(batch_sampler, "sampler", None)
    return inner if hasattr(inner, "set_epoch") else getattr(dataloader, "sampler", None)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random generators' states with each checkpoint and restore them when resuming.

    Epoch checkpoints are saved at the end of an epoch, so the states saved are those the next epoch
    starts from. The samplers this project uses (mmengine's DefaultSampler, the harness's
    RepeatFactorSampler) own no generator across epochs: they draw an epoch's order from (seed, epoch),
    with the epoch set by mmengine's DistSamplerSeedHook before each epoch; only their seed is kept.
    Data-loader workers are seeded from torch's generator per epoch (:func:`seed_data_worker`), so
    they are covered by torch's state.
    """

    priority = "VERY_LOW"

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        sampler = data_sampler(runner.train_dataloader)
        checkpoint[RANDOM_STATES_KEY] = {**capture_random_states(), "sampler_seed": getattr(sampler, "seed", None)}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if RANDOM_STATES_KEY not in checkpoint:
            if "optimizer" in checkpoint:  # a training checkpoint, not initial weights
                print("train: warning: the checkpoint holds no random states; the resumed training will "
                      "differ from an uninterrupted one", file=sys.stderr)
            return
        states = checkpoint[RANDOM_STATES_KEY]
        restore_random_states(states)
        sampler = data_sampler(runner.train_dataloader)
        if states.get("sampler_seed") is not None and hasattr(sampler, "seed"):
            sampler.seed = states["sampler_seed"]


@FUNCTIONS.register_module()
def seed_data_worker(worker_id: int) -> None:
    """``worker_init_fn`` of the training data loader: seed a worker's python, numpy and torch generators
    from the seed torch gave it (drawn from the main process's torch generator when the epoch's workers
    start, plus ``worker_id``), so workers draw differently each epoch and identically after a resume."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def start_process_entry(path: str | Path, resumed_from_epoch: int | None) -> None:
    """Append this process to the work dir's process list ``path`` (a fresh start begins a new list)."""
    entries = read_process_entries(path) if resumed_from_epoch is not None else []
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    entries.append({"started": started, "seconds": 0.0, "resumed_from_epoch": resumed_from_epoch})
    write_json_atomic(path, entries)


def update_process_seconds(path: str | Path) -> None:
    """Set the seconds of the last process in ``path`` (this one: the work dir lock is held) to now."""
    entries = read_process_entries(path)
    started = datetime.datetime.fromisoformat(entries[-1]["started"]).timestamp()
    entries[-1]["seconds"] = round(time.time() - started, 1)
    write_json_atomic(path, entries)


def read_process_entries(path: str | Path) -> list[dict]:
    """The processes recorded in ``path``: [{started, seconds, resumed_from_epoch}], [] if absent."""
    return read_json(path, "process list") if Path(path).is_file() else []


@HOOKS.register_module()
class ProcessTimeHook(Hook):
    """After every epoch, record this process's time so far in the process list ``path``, so that a
    process killed without warning still counts up to its last finished epoch."""

    def __init__(self, path: str):
        self.path = path

    def after_train_epoch(self, runner) -> None:
        if is_main_process():  # the process list is the main process's (all of a training's run together)
            update_process_seconds(self.path)
