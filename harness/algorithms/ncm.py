"""Nearest-class-mean scoring (BAGS's transferred NCM-fc / NCM-conv rows,
docs/paper-release-and-us.md#transferred-methods).

Class means are per-category means of RoI features of ground-truth boxes. At test time, with the
baseline's background probability p_bg and cosine similarities s_c to the L2-normalised means:

    q = softmax(s / temperature) over categories,  score_c = (1 - p_bg) * q_c,  score_bg = p_bg (last)
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def class_means(features: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """(C, D) mean feature per category of (N, D) ``features`` with (N,) labels in 0..C-1.

    A category without samples gets a NaN row; the caller decides (see :func:`missing_classes`).
    """
    if features.ndim != 2 or labels.shape != features.shape[:1]:
        raise ValueError(f"need features (N, D) and labels (N,), got {tuple(features.shape)} and {tuple(labels.shape)}")
    if labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    dtype = features.dtype if features.is_floating_point() else torch.float32
    sums = torch.zeros(num_classes, features.shape[1], dtype=dtype, device=features.device)
    sums.index_add_(0, labels, features.to(dtype))
    counts = torch.bincount(labels, minlength=num_classes).to(dtype)[:, None]
    return torch.where(counts > 0, sums / counts.clamp(min=1), torch.full_like(sums, float("nan")))


def missing_classes(means: Tensor) -> list[int]:
    """Indices of the (C, D) ``means`` rows that hold a NaN (categories without samples)."""
    return torch.isnan(means).any(dim=1).nonzero().flatten().tolist()


def ncm_scores(features: Tensor, means: Tensor, background_prob: Tensor, temperature: float = 1.0) -> Tensor:
    """(R, C + 1) scores, background last, from (R, D) features, (C, D) means and (R,) p_bg.

    Categories whose mean is missing (NaN row) are left out of the softmax and score 0.
    """
    if features.shape[1:] != means.shape[1:] or background_prob.shape != features.shape[:1]:
        raise ValueError(f"need features (R, D), means (C, D), background_prob (R,); got {tuple(features.shape)}, "
                         f"{tuple(means.shape)}, {tuple(background_prob.shape)}")
    missing = torch.isnan(means).any(dim=1)
    if missing.all():
        raise ValueError("every class mean is missing")
    unit_means = F.normalize(torch.where(missing[:, None], torch.zeros_like(means), means), dim=1)
    similarity = F.normalize(features, dim=1) @ unit_means.T
    similarity = similarity.masked_fill(missing[None, :], float("-inf"))
    category_probs = F.softmax(similarity / temperature, dim=1)
    background = background_prob.to(category_probs.dtype)[:, None]
    return torch.cat([(1 - background) * category_probs, background], dim=1)
