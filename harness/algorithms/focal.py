"""Sigmoid focal loss on a softmax detector's classifier (BAGS's transferred Focal loss, bags-reference 4.4).

The release trains the unchanged C + 1 logit classifier with a sigmoid focal loss whose one-hot
targets cover *all* channels, background included (the background channel is a class like any
other), and normalises by R * (C + 1). Test-time scores stay a softmax over the same logits.

    FL = -alpha_t * (1 - p_t) ** gamma * log(p_t),   p = sigmoid(logit)
    p_t = p, alpha_t = alpha for a target of 1;  p_t = 1 - p, alpha_t = 1 - alpha for a target of 0
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_inputs(logits: Tensor, labels: Tensor) -> None:
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"need logits (R, K) and labels (R,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    if labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < logits.shape[1]):
        raise ValueError(f"labels must lie in 0..{logits.shape[1] - 1}, got {labels.min()}..{labels.max()}")


def sigmoid_focal_loss(logits: Tensor, labels: Tensor, gamma: float = 2.0, alpha: float = 0.25,
                       roi_weights: Tensor | None = None) -> Tensor:
    """Mean focal loss over the R * K elements: scalar.

    Args:
        logits: (R, K) raw classifier outputs.
        labels: (R,) long, target channel of each row in 0..K-1 (one-hot over all K channels).
        gamma: focusing exponent; 0 gives alpha-weighted binary cross-entropy.
        alpha: weight of the positive (target 1) elements; negatives get 1 - alpha.
        roi_weights: optional (R,) multiplier of each row's K elements; the divisor stays R * K.
    """
    _check_inputs(logits, labels)
    targets = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    signed = torch.where(targets > 0, logits, -logits)  # z_t: p_t = sigmoid(z_t), 1 - p_t = sigmoid(-z_t)
    log_p_t = F.logsigmoid(signed)
    modulating = torch.exp(gamma * F.logsigmoid(-signed))  # (1 - p_t) ** gamma, finite gradient at p_t -> 1
    alpha_t = alpha * targets + (1.0 - alpha) * (1.0 - targets)
    elements = -alpha_t * modulating * log_p_t
    if roi_weights is not None:
        elements = elements * roi_weights.to(elements.dtype)[:, None]
    return elements.sum() / max(elements.numel(), 1)


def focal_scores(logits: Tensor) -> Tensor:
    """(R, K) logits -> (R, K) test-time scores: a softmax, as the release keeps at test time."""
    return F.softmax(logits, dim=1)
