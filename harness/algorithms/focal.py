"""Sigmoid focal loss on a softmax detector's classifier (BAGS's transferred Focal loss,
docs/paper-release-and-us.md#transferred-methods).

The release trains the unchanged C + 1 logit classifier with a sigmoid focal loss whose one-hot
targets cover *all* channels, background included (the background channel is a class like any
other), and normalises by R * (C + 1). Test-time scores stay a softmax over the same logits.

    FL = -alpha_t * (1 - p_t) ** gamma * log(p_t),   p = sigmoid(logit)
    p_t = p, alpha_t = alpha for a target of 1;  p_t = 1 - p, alpha_t = 1 - alpha for a target of 0

That is the intended loss. What the released code trained instead (:func:`release_targets`) is
described in docs/paper-release-and-us.md, section "Focal loss: the release's targets".
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_inputs(logits: Tensor, labels: Tensor) -> None:
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"need logits (R, K) and labels (R,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    if labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < logits.shape[1]):
        raise ValueError(f"labels must lie in 0..{logits.shape[1] - 1}, got {labels.min()}..{labels.max()}")


def focal_loss_of_targets(logits: Tensor, targets: Tensor, gamma: float = 2.0, alpha: float = 0.25,
                          roi_weights: Tensor | None = None) -> Tensor:
    """Mean focal loss over the R * K elements of given binary targets: scalar.

    Args:
        logits: (R, K) raw classifier outputs.
        targets: (R, K) in {0, 1}: 1 = positive element, 0 = negative (a row may have no 1).
        gamma: focusing exponent; 0 gives alpha-weighted binary cross-entropy.
        alpha: weight of the positive (target 1) elements; negatives get 1 - alpha.
        roi_weights: optional (R,) multiplier of each row's K elements; the divisor stays R * K.
    """
    if targets.shape != logits.shape:
        raise ValueError(f"need logits and targets of one shape, got {tuple(logits.shape)} and {tuple(targets.shape)}")
    targets = targets.to(logits.dtype)
    signed = torch.where(targets > 0, logits, -logits)  # z_t: p_t = sigmoid(z_t), 1 - p_t = sigmoid(-z_t)
    log_p_t = F.logsigmoid(signed)
    modulating = torch.exp(gamma * F.logsigmoid(-signed))  # (1 - p_t) ** gamma, finite gradient at p_t -> 1
    alpha_t = alpha * targets + (1.0 - alpha) * (1.0 - targets)
    elements = -alpha_t * modulating * log_p_t
    if roi_weights is not None:
        elements = elements * roi_weights.to(elements.dtype)[:, None]
    return elements.sum() / max(elements.numel(), 1)


def sigmoid_focal_loss(logits: Tensor, labels: Tensor, gamma: float = 2.0, alpha: float = 0.25,
                       roi_weights: Tensor | None = None) -> Tensor:
    """Mean focal loss over the R * K elements, one-hot targets (the intended loss): scalar.

    Args:
        logits: (R, K) raw classifier outputs.
        labels: (R,) long, target channel of each row in 0..K-1 (one-hot over all K channels).
        gamma, alpha, roi_weights: as in :func:`focal_loss_of_targets`.
    """
    _check_inputs(logits, labels)
    return focal_loss_of_targets(logits, F.one_hot(labels, logits.shape[1]), gamma, alpha, roi_weights)


def release_targets(labels: Tensor, num_channels: int) -> Tensor:
    """The (R, C + 1) targets the released focal loss really trained on, in our layout (background last).

    docs/paper-release-and-us.md, "Focal loss: the release's targets": the release one-hot encodes the
    labels and hands the (R, C + 1) matrix to a CUDA kernel that reads one class index per RoI,
    ``targets[n]`` for n < R, so it reads the first R entries of row 0 of the one-hot matrix. Index 0
    means "every channel negative"; index 1 means "the kernel's channel 0 positive", which in the
    release is the background channel. Step by step:

      1. r0 = RoI 0's label in the release's numbering (background 0, category k -> k + 1; ours are
         categories 0..C-1 and background C).
      2. RoI n reads one_hot[0][n], which is 1 only for n = r0.
      3. RoI r0 (if r0 < R) gets the background channel (ours: C) positive; every other RoI, whatever
         its label, is all-negative.

    On the paper's scale R (at most 1024 RoIs per GPU) is below C + 1 = 1231, so the kernel's reads stay
    in row 0. Where R exceeds C + 1 (small synthetic label spaces) the kernel would read on into rows
    1, 2, ...; we keep the paper-scale effect, row 0 only: RoIs past its end read 0 (all-negative).

    Args:
        labels: (R,) long, mmdet labels 0..C (C = background).
        num_channels: K = C + 1, the classifier's outputs.

    Returns:
        (R, K) float targets in {0, 1}, at most one 1 (column C).
    """
    if labels.ndim != 1:
        raise ValueError(f"need labels (R,), got {tuple(labels.shape)}")
    if labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < num_channels):
        raise ValueError(f"labels must lie in 0..{num_channels - 1}, got {labels.min()}..{labels.max()}")
    background = num_channels - 1
    targets = torch.zeros(len(labels), num_channels, device=labels.device)
    if not len(labels):
        return targets
    first = int(labels[0])
    first_release = 0 if first == background else first + 1  # step 1
    if first_release < len(labels):  # steps 2-3
        targets[first_release, background] = 1.0
    return targets


def release_focal_loss(logits: Tensor, labels: Tensor, gamma: float = 2.0, alpha: float = 0.25,
                       roi_weights: Tensor | None = None) -> Tensor:
    """The release's focal loss: :func:`focal_loss_of_targets` on :func:`release_targets`, still
    divided by R * (C + 1): scalar. Arguments as in :func:`sigmoid_focal_loss`."""
    _check_inputs(logits, labels)
    targets = release_targets(labels, logits.shape[1]).to(logits.device)
    return focal_loss_of_targets(logits, targets, gamma, alpha, roi_weights)


def focal_scores(logits: Tensor) -> Tensor:
    """(R, K) logits -> (R, K) test-time scores: a softmax, as the release keeps at test time."""
    return F.softmax(logits, dim=1)
