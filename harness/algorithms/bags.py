"""Balanced group softmax (BAGS), paper Sec. 4 and docs/paper-release-and-us.md#training-loss and
docs/paper-release-and-us.md#inference, on plain tensors.

Labels follow the paper: 0 = background, l = 1..C = the l-th category in ascending id order.
A :class:`~harness.algorithms.group_layout.GroupLayout` fixes the logit slices; ``group_targets``
gives each label's target inside every group (G0: 0 background / 1 foreground; G_k: the in-group
index, 0 = "others", or -1 = ignored when the layout has no "others").

Training (Sec. 4.2):
  1. t_n = targets[n][labels] for every group n.
  2. Weights: G0 weighs every RoI 1. A foreground group with "others" keeps its positives P and
     samples k = floor(beta |P|) of its "others" RoIs (all of them when fewer, none and a zero loss
     when |P| = 0); beta "n" keeps every "others" RoI of an activated group, beta "all" keeps them in
     every group, activated or not. Without "others" only the group's own RoIs count.
  3. L_n = sum_r w_r CE(softmax(z_r[slice_n]), t_n[r]) / max(sum_r w_r, 1); the loss is sum_n L_n.
Inference (Sec. 4.3): per-group softmax; score of category c in group n = p_fg * q^n_c, "others"
dropped; background score p_bg = q^0_0. Without G0, p_fg = 1 and, with "others", p_bg is the
product of the groups' "others" probabilities (no group claims the RoI); without either it is 0.
"""

from typing import Union

import torch
import torch.nn.functional as F

from harness.algorithms.group_layout import GroupLayout

Beta = Union[float, str]  # a number, "n" or "all"


def parse_beta(value: str | float) -> Beta:
    """A beta from the command line or a config: a non-negative number, "n" or "all"."""
    if value in ("n", "all"):
        return value
    number = float(value)
    if number < 0:
        raise ValueError(f"beta must be >= 0, 'n' or 'all', got {value!r}")
    return number


def target_table(layout: GroupLayout) -> torch.Tensor:
    """(G, C + 1) long tensor of :meth:`GroupLayout.group_targets`."""
    return torch.tensor(layout.group_targets(), dtype=torch.long)


def others_weights(targets: torch.Tensor, beta: Beta, generator: torch.Generator | None = None) -> torch.Tensor:
    """Step 2 for one foreground group with "others".

    Args:
        targets: (R,) in-group targets, 0 = "others", > 0 = the group's categories.

    Returns:
        (R,) float weights in {0, 1}.
    """
    positive = targets > 0
    others = torch.nonzero(targets == 0).flatten()
    num_positive = int(positive.sum())
    if beta == "all" or (beta == "n" and num_positive > 0):
        return torch.ones_like(targets, dtype=torch.float)
    weights = positive.float()
    if num_positive == 0:
        return weights
    k = int(num_positive * float(beta))
    if k >= len(others):
        weights[others] = 1.0
    elif k > 0:
        chosen = others[torch.randperm(len(others), generator=generator, device=targets.device)[:k]]
        weights[chosen] = 1.0
    return weights


def group_losses(logits: torch.Tensor, labels: torch.Tensor, layout: GroupLayout, table: torch.Tensor,
                 beta: Beta, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """Steps 1-3: one normalised cross-entropy per group, named ``loss_cls_g<n>``.

    Args:
        logits: (R, L) classifier outputs, L = layout.num_logits.
        labels: (R,) paper labels (0 background, 1..C categories).
        table: :func:`target_table` of ``layout`` on the logits' device.
    """
    losses = {}
    for row, group in enumerate(layout.groups):
        targets = table[row][labels]
        if group.index == 0:
            weights = torch.ones_like(labels, dtype=logits.dtype)
        elif layout.others:
            weights = others_weights(targets, beta, generator).to(logits.dtype)
        else:
            weights = (targets >= 0).to(logits.dtype)
        group_logits = logits[:, group.logit_start:group.logit_start + group.logit_length]
        ce = F.cross_entropy(group_logits, targets.clamp(min=0), reduction="none")
        losses[f"loss_cls_g{group.index}"] = (ce * weights).sum() / weights.sum().clamp(min=1.0)
    return losses


def merge_scores(logits: torch.Tensor, layout: GroupLayout) -> torch.Tensor:
    """Inference: (R, L) logits -> (R, C + 1) scores, categories in ascending id order, background last."""
    num_rois = logits.shape[0]
    position = {cid: i for i, cid in enumerate(layout.category_ids)}
    scores = logits.new_zeros(num_rois, len(position) + 1)
    p_fg = logits.new_ones(num_rois)
    p_bg = logits.new_ones(num_rois) if layout.others else logits.new_zeros(num_rois)
    offset = int(layout.others)
    for group in layout.groups:
        probs = F.softmax(logits[:, group.logit_start:group.logit_start + group.logit_length], dim=1)
        if group.index == 0:
            p_bg, p_fg = probs[:, 0], probs[:, 1]
            continue
        columns = [position[cid] for cid in group.category_ids]
        scores[:, columns] = probs[:, offset:]
        if layout.others and not layout.has_background_group:
            p_bg = p_bg * probs[:, 0]
    scores[:, :-1] *= p_fg[:, None]
    scores[:, -1] = p_bg
    return scores
