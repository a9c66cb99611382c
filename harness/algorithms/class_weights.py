"""Per-category cross-entropy weights of BAGS's transferred Re-weight methods
(docs/paper-release-and-us.md#transferred-methods).

* Re-weight:      w_c = (1 / n_c) / mean_c'(1 / n_c')
* Re-weight-cls:  w_c = e_c / mean_c'(e_c'),  e_c = (1 - beta) / (1 - beta ** n_c)  (class-balanced
  "effective number" weights, Cui et al. 2019; beta = 0.999)

Means run over the C foreground categories only; both are clipped to [0.1, 5] afterwards, and the
background weight (1) is added separately, last, as mmdet 3 orders its C + 1 classification logits.
"""

import numpy as np


def _check_counts(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must be a non-empty 1-d array, got shape {counts.shape}")
    too_small = np.flatnonzero(~(counts >= 1))
    if too_small.size:
        index = int(too_small[0])
        raise ValueError(f"every count must be >= 1; index {index} has count {counts[index]}")
    return counts


def _normalise_and_clip(raw: np.ndarray, low: float, high: float) -> np.ndarray:
    if not 0 <= low <= high:
        raise ValueError(f"need 0 <= low <= high, got low={low}, high={high}")
    return np.clip(raw / raw.mean(), low, high)


def inverse_frequency_weights(counts: np.ndarray, low: float = 0.1, high: float = 5.0) -> np.ndarray:
    """Weights of shape (C,) from per-category instance counts of shape (C,): (1/n_c) / mean(1/n), clipped."""
    counts = _check_counts(counts)
    return _normalise_and_clip(1.0 / counts, low, high)


def effective_number_weights(counts: np.ndarray, beta: float = 0.999, low: float = 0.1,
                             high: float = 5.0) -> np.ndarray:
    """Weights of shape (C,) from counts of shape (C,): (1-beta)/(1-beta**n_c) over its mean, clipped."""
    counts = _check_counts(counts)
    if not 0 < beta < 1:
        raise ValueError(f"beta must be in (0, 1), got {beta}")
    return _normalise_and_clip((1.0 - beta) / (1.0 - np.power(beta, counts)), low, high)


def with_background(weights: np.ndarray, background_weight: float = 1.0) -> list[float]:
    """The C + 1 weights for mmdet's ``CrossEntropyLoss(class_weight=...)``: foreground (C,), background last."""
    return [float(w) for w in np.asarray(weights, dtype=np.float64).ravel()] + [float(background_weight)]
