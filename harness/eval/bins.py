"""Instance-count bins of the evaluation (AP1..APk, ACC1..ACCk), from the train statistics."""

from harness.algorithms.group_layout import count_bin
from harness.data.category_stats import load_category_stats
from harness.errors import InputError
from harness.io import read_json

PAPER_THRESHOLDS = (10, 100, 1000)


def bin_thresholds(train_stats_path: str | None, override=None) -> tuple:
    """Explicit thresholds, else the stats file's ``info.bin_thresholds`` (synthetic, COCO-LT), else the
    paper's 10 / 100 / 1000 (real LVIS)."""
    if override:
        return tuple(override)
    if train_stats_path:
        info = read_json(train_stats_path, "train statistics").get("info") or {}
        if "bin_thresholds" in info:
            return tuple(info["bin_thresholds"])
    return PAPER_THRESHOLDS


def category_bins(train_stats_path: str, thresholds) -> dict[int, int]:
    """Category id -> 1-based bin of its train instance count."""
    stats = load_category_stats(train_stats_path)
    return {cid: count_bin(n, thresholds) + 1 for cid, n in zip(stats.category_ids, stats.instance_counts)}


def require_bins_for(categories, bins: dict[int, int], source: str) -> None:
    missing = sorted(set(categories) - set(bins))
    if missing:
        raise InputError(source, "categories", f"no train count for ground-truth categories {missing[:5]}")
