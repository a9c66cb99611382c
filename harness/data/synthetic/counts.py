"""Per-category train instance counts that follow the real LVIS v0.5 rank curve at a smaller scale."""

import math

import numpy as np

from harness.algorithms.count_scaling import CountScaling
from harness.algorithms.group_layout import count_bin


def allocate_per_bin(bin_sizes: list[int], total: int, minimum: int) -> list[int]:
    """Split ``total`` categories over bins proportionally to ``bin_sizes`` (largest remainder),
    giving every bin at least ``minimum``."""
    if total < minimum * len(bin_sizes):
        raise ValueError(f"{total} categories cannot give {len(bin_sizes)} bins at least {minimum} each")
    spare = total - minimum * len(bin_sizes)
    shares = [spare * size / sum(bin_sizes) for size in bin_sizes]
    alloc = [minimum + math.floor(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda k: shares[k] - math.floor(shares[k]), reverse=True)
    for k in by_remainder[: total - sum(alloc)]:
        alloc[k] += 1
    return alloc


def sample_reference_counts(reference_counts: list[int], num_categories: int, min_per_bin: int,
                            bin_thresholds: tuple[float, ...]) -> list[int]:
    """Pick ``num_categories`` reference counts across the rank curve, stratified by the reference-scale bins.

    1. Bin the reference categories at ``bin_thresholds`` instances (the profile's ``bins.thresholds``).
    2. Give each bin a share of the categories proportional to its size (at least ``min_per_bin``).
    3. Inside a bin, take evenly spaced rank quantiles (i + 0.5) / k of its sorted counts.

    Returns:
        (num_categories,) reference counts, descending.
    """
    bins: list[list[int]] = [[] for _ in range(len(bin_thresholds) + 1)]
    for count in reference_counts:
        bins[count_bin(count, bin_thresholds)].append(count)
    alloc = allocate_per_bin([len(b) for b in bins], num_categories, min_per_bin)
    chosen = []
    for members, k in zip(bins, alloc):
        ordered = sorted(members, reverse=True)
        chosen += [ordered[int((i + 0.5) / k * len(ordered))] for i in range(k)]
    return sorted(chosen, reverse=True)


def scaled_train_counts(reference: list[int], scaling: CountScaling) -> list[int]:
    """Map reference counts to this benchmark's scale (floor: bins with integer edges are kept)."""
    return [scaling.scale_count(n) for n in reference]


def val_counts(train_counts: list[int], ratio: float, minimum: int, maximum: int) -> list[int]:
    """Validation instances per category: ``ratio`` x train, clipped to [minimum, maximum] (>= 1)."""
    return [int(np.clip(round(ratio * n), max(1, minimum), maximum)) for n in train_counts]


def frequency_edges(scaling: CountScaling) -> tuple[int, int]:
    """(r_max, c_max): LVIS's r/c/f rule (r: <= 10 train images, c: 11-100, f: > 100), scaled."""
    return math.floor(round(scaling.scale(10), 9)), math.floor(round(scaling.scale(100), 9))


def frequency_group(image_count: int, scaling: CountScaling) -> str:
    """'r', 'c' or 'f' for a category seen in ``image_count`` train images."""
    r_max, c_max = frequency_edges(scaling)
    return "r" if image_count <= r_max else "c" if image_count <= c_max else "f"
