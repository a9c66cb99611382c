"""Instance-count bins of the evaluation (AP1..APk, ACC1..ACCk), from the train statistics."""

from harness.algorithms.group_layout import PAPER_BIN_THRESHOLDS, count_bin
from harness.data.category_stats import load_category_stats
from harness.errors import InputError
from harness.validate import bin_thresholds


def train_bins(train_stats_path: str, override=None) -> tuple[tuple, dict[int, int]]:
    """(thresholds, category id -> 1-based bin of its train instance count), reading the file once.

    Thresholds: ``override``, else the file's ``info.bin_thresholds`` (synthetic data, COCO-LT), else
    the paper's 10 / 100 / 1000 (real LVIS). Both are checked (:func:`harness.validate.bin_thresholds`).
    """
    stats = load_category_stats(train_stats_path)
    if override:
        thresholds = bin_thresholds(list(override), "--thresholds")
    else:
        thresholds = stats.bin_thresholds or PAPER_BIN_THRESHOLDS
    bins = {cid: count_bin(n, thresholds) + 1 for cid, n in zip(stats.category_ids, stats.instance_counts)}
    return thresholds, bins


def require_bins_for(categories, bins: dict[int, int], source: str) -> None:
    missing = sorted(set(categories) - set(bins))
    if missing:
        raise InputError(source, "categories", f"no train count for ground-truth categories {missing[:5]}")
