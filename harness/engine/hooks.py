"""mmengine hooks of the harness: one JSON line per training epoch (``log.jsonl``)."""

import json
import time
from collections import defaultdict
from pathlib import Path

import torch
from mmengine.hooks import Hook
from mmdet.registry import HOOKS


@HOOKS.register_module()
class EpochJsonLogHook(Hook):
    """Append {epoch, iter, lr, mean of every loss term, seconds, peak memory} after each epoch.

    On resume, lines of epochs after the resumed one (written before an interrupt) are dropped first,
    so the file has exactly one line per finished epoch.
    """

    priority = "NORMAL"

    def __init__(self, path: str):
        self.path = Path(path)
        self.sums: dict[str, float] = defaultdict(float)
        self.count = 0
        self.start = time.time()

    def before_train(self, runner) -> None:
        kept = []
        if self.path.is_file():
            kept = [line for line in self.path.read_text().splitlines()
                    if line.strip() and json.loads(line)["epoch"] <= runner.epoch]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(line + "\n" for line in kept))

    def before_train_epoch(self, runner) -> None:
        self.sums.clear()
        self.count = 0
        self.start = time.time()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        for name, value in (outputs or {}).items():
            self.sums[name] += float(value)
        self.count += 1

    def after_train_epoch(self, runner) -> None:
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
