"""Focal loss on the unchanged softmax classifier as an mmdet classification loss (BAGS's transferred
Focal loss / Focal loss-cls rows, docs/paper-release-and-us.md#transferred-methods), via mmdet's custom_cls_channels /
custom_activation protocol: ``loss_cls=dict(type="SoftmaxHeadFocalLoss")`` on any box head."""

import torch
from mmdet.registry import MODELS
from torch import nn

from harness.algorithms.focal import focal_scores, release_focal_loss, sigmoid_focal_loss


@MODELS.register_module()
class SoftmaxHeadFocalLoss(nn.Module):
    """Sigmoid focal loss over all C + 1 logits (background channel kept, last), softmax scores at test.

    By default this is the *intended* loss of the release. The release's own focal path was broken
    (docs/paper-release-and-us.md, "Focal loss: the release's targets"): it passed one-hot targets to
    a CUDA kernel expecting one class index per RoI, so nearly every RoI was trained as "all channels
    negative". The paper's focal numbers (11.12 / 19.29 AP) come from that broken training;
    ``release_targets=True`` trains on the targets the release really used
    (:func:`harness.algorithms.focal.release_targets`), to compare with them.

    The loss is the mean over the R * (C + 1) elements, as the release intends (R * 1231); mmdet's
    ``avg_factor`` is therefore not used, and ``label_weights`` scale each RoI's elements.

    Args:
        gamma: focusing exponent.
        alpha: weight of positive elements (negatives get 1 - alpha).
        loss_weight: scales the loss.
        release_targets: train on the release's (broken) targets instead of the one-hot labels.
    """

    custom_cls_channels = True
    custom_activation = True
    custom_accuracy = True

    def __init__(self, gamma: float = 2.0, alpha: float = 0.25, loss_weight: float = 1.0,
                 release_targets: bool = False):
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha
        self.loss_weight = loss_weight
        self.release_targets = release_targets

    def get_cls_channels(self, num_classes: int) -> int:
        """The baseline classifier's size: C categories + the background channel."""
        return num_classes + 1

    def get_activation(self, cls_score: torch.Tensor) -> torch.Tensor:
        """(R, C + 1) logits -> (R, C + 1) softmax scores, background last."""
        return focal_scores(cls_score)

    def get_accuracy(self, cls_score: torch.Tensor, labels: torch.Tensor) -> dict:
        """{"acc": percent of RoIs whose argmax channel equals the label (background = C)}."""
        predicted = cls_score.argmax(dim=1)
        return {"acc": (predicted == labels).float().mean() * 100}

    def forward(self, cls_score, labels, label_weights=None, avg_factor=None, reduction_override=None) -> dict:
        """(R, C + 1) logits, (R,) labels in 0..C -> {"loss_cls_focal": scalar}."""
        if reduction_override not in (None, "mean"):
            raise ValueError(f"SoftmaxHeadFocalLoss only reduces by the mean, got {reduction_override!r}")
        loss = release_focal_loss if self.release_targets else sigmoid_focal_loss
        value = loss(cls_score, labels, self.gamma, self.alpha, roi_weights=label_weights)
        return {"loss_cls_focal": value * self.loss_weight}
