"""tau-norm and tau-norm-select (BAGS's transferred rows 12 and 13, docs/paper-release-and-us.md#transferred-methods).

* tau-norm: every classifier row, background included, becomes w_i / ||w_i||_2 ** tau; bias untouched.
* tau-norm-select: a second, tau-normalised classifier (foreground rows only) decides for RoIs
  predicted as a tail category. In mmdet's order (categories 0..C-1, background C last), per RoI:
  k = argmax(plain scores); if k is not background, k <- argmax(tau scores); if k is then a tail
  category, the whole score row is taken from the tau scores, otherwise the plain row is kept.
"""

from typing import Callable

import torch
from torch import Tensor


def tau_normalise(weight: Tensor, tau: float, rows: Tensor | None = None) -> Tensor:
    """New (K, D) weight whose selected rows are w_i / ||w_i||_2 ** tau; others are copied.

    Args:
        weight: (K, D) classifier weight (rows = output channels).
        tau: exponent; 0 leaves rows unchanged, 1 gives unit-norm rows.
        rows: indices (long) or (K,) bool mask of the rows to normalise; None = all rows.
            An all-zero row stays zero.
    """
    norms = weight.norm(dim=1, keepdim=True)
    divisor = torch.where(norms > 0, norms.pow(tau), torch.ones_like(norms))
    normalised = weight / divisor
    if rows is None:
        return normalised
    result = weight.clone()
    result[rows] = normalised[rows]
    return result


def select_tau_scores(plain_scores: Tensor, tau_scores: Tensor, tail_mask: Tensor) -> Tensor:
    """(R, C + 1) scores, each row from ``plain_scores`` or, for RoIs decided as tail, ``tau_scores``.

    Args:
        plain_scores: (R, C + 1) softmax of the original classifier, background last.
        tau_scores: (R, C + 1) softmax of the tau-normalised classifier, background last.
        tail_mask: (C,) bool, True for tail categories (the release: train instance count < 100).
    """
    num_classes = tail_mask.shape[0]
    if plain_scores.shape != tau_scores.shape or plain_scores.shape[1:] != (num_classes + 1,):
        raise ValueError(f"need two (R, {num_classes + 1}) score tensors, "
                         f"got {tuple(plain_scores.shape)} and {tuple(tau_scores.shape)}")
    decided = plain_scores.argmax(dim=1)
    decided = torch.where(decided != num_classes, tau_scores.argmax(dim=1), decided)
    is_category = decided < num_classes
    is_tail = is_category & tail_mask.to(torch.bool)[decided.clamp(max=num_classes - 1)]
    return torch.where(is_tail[:, None], tau_scores, plain_scores)


def choose_tau(candidates: list[float], score_of: Callable[[float], float]) -> tuple[float, dict[float, float]]:
    """(best tau, {tau: score} for every candidate): argmax of ``score_of``, the first one on ties."""
    if not candidates:
        raise ValueError("need at least one tau candidate")
    table = {tau: float(score_of(tau)) for tau in candidates}
    best = candidates[0]
    for tau in candidates[1:]:
        if table[tau] > table[best]:
            best = tau
    return best, table
