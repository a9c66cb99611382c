"""What the training-side hooks of several methods read: the train file's category statistics and
its count scaling (paper-scale thresholds -> the data set's), and schedule rescaling."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from harness.data.category_stats import CategoryStats, load_category_stats

if TYPE_CHECKING:
    from mmengine.config import Config


def train_file(cfg: Config) -> str:
    return cfg.train_dataloader.dataset.ann_file


@lru_cache(maxsize=4)
def train_stats(path: str) -> CategoryStats:
    """Per-category train instance counts (ascending ids, as the model's labels 0..C-1)."""
    return load_category_stats(path)


def data_scale(stats: CategoryStats, paper_count: float) -> float:
    """A count on the paper's LVIS scale on this data set's scale (itself without a count scaling)."""
    return stats.count_scaling.scale(paper_count) if stats.count_scaling else float(paper_count)


def data_threshold(stats: CategoryStats, paper_threshold: float) -> int:
    """An integer count threshold on this data set's scale (e.g. the paper's 100 -> 16)."""
    return stats.count_scaling.scale_threshold(paper_threshold) if stats.count_scaling else int(paper_threshold)


def rescale_schedule(cfg: Config, lr_factor: float, epochs_fraction: float, milestone_fractions: list[float]) -> None:
    """A schedule given relative to the paper's 12-epoch one, on this config's epochs: lr x lr_factor,
    round(epochs x fraction) epochs, lr x0.1 at the rounded milestone fractions (warm-up kept)."""
    baseline_epochs = cfg.train_cfg.max_epochs
    epochs = max(1, round(baseline_epochs * epochs_fraction))
    cfg.train_cfg.max_epochs = epochs
    cfg.optim_wrapper.optimizer.lr *= lr_factor
    for step in cfg.param_scheduler:
        if step["type"] == "MultiStepLR":
            step["milestones"] = [max(1, round(baseline_epochs * f)) for f in milestone_fractions]
            step["end"] = epochs
