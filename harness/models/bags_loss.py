"""BAGS as an mmdet classification loss: it sizes ``fc_cls``, computes the grouped losses and turns
logits into per-category scores (mmdet's custom_cls_channels / custom_activation protocol), so any
mmdet box head, cascade stages included, becomes a BAGS head by its ``loss_cls`` alone."""

import torch
from mmdet.registry import MODELS
from torch import nn

from harness.algorithms.bags import group_losses, merge_scores, parse_beta, target_table
from harness.algorithms.group_layout import layout_from_json
from harness.io import read_json


@MODELS.register_module()
class BAGSLoss(nn.Module):
    """Balanced group softmax loss (paper Sec. 4).

    Args:
        layout_file: group layout JSON written by the ``groups`` stage.
        beta: "others" sampling ratio: a number, "n" or "all".
        background_group: use G0 (Table 4 variants (2), (4)-(6)).
        others: use the "others" category (Table 4 variants (3)-(6)).
        loss_weight: scales every group's loss.
    """

    custom_cls_channels = True
    custom_activation = True
    custom_accuracy = True

    def __init__(self, layout_file: str, beta="8", background_group: bool = True, others: bool = True,
                 loss_weight: float = 1.0):
        super().__init__()
        self.layout = layout_from_json(read_json(layout_file, "group layout")).variant(background_group, others)
        self.beta = parse_beta(beta)
        self.loss_weight = loss_weight
        self.register_buffer("table", target_table(self.layout), persistent=False)

    def get_cls_channels(self, num_classes: int) -> int:
        if num_classes != len(self.layout.category_ids):
            raise ValueError(f"the group layout has {len(self.layout.category_ids)} categories, the head {num_classes}")
        return self.layout.num_logits

    def get_activation(self, cls_score: torch.Tensor) -> torch.Tensor:
        """(R, L) logits -> (R, C + 1) scores, background last (mmdet's order)."""
        return merge_scores(cls_score, self.layout)

    def get_accuracy(self, cls_score: torch.Tensor, labels: torch.Tensor) -> dict:
        predicted = self.get_activation(cls_score).argmax(dim=1)
        return {"acc": (predicted == labels).float().mean() * 100}

    def forward(self, cls_score, labels, label_weights=None, avg_factor=None, reduction_override=None) -> dict:
        """mmdet labels (0..C-1 categories, C background) -> paper labels, then :func:`group_losses`."""
        num_classes = len(self.layout.category_ids)
        paper_labels = torch.where(labels == num_classes, torch.zeros_like(labels), labels + 1)
        losses = group_losses(cls_score, paper_labels, self.layout, self.table, self.beta)
        return {name: value * self.loss_weight for name, value in losses.items()}
