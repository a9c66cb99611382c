"""Box heads of the post-hoc methods (NCM, tau-norm-select): the baseline's Shared2FC head with a
different test-time classifier. Each returns log-probabilities as ``cls_score``, so mmdet's softmax
gives back exactly the method's scores (background last) and detection, NMS and ACC run unchanged."""

import torch
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from torch import Tensor

from harness.algorithms.ncm import ncm_scores
from harness.algorithms.tau_norm import select_tau_scores

LOG_FLOOR = 1e-12


class _PlainFCHead(Shared2FCBBoxHead):
    """Shared FCs only (no convs, no branch-specific layers), with the hidden features exposed."""

    def hidden(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """RoI features (R, C, 7, 7) -> (flattened input (R, C*49), last shared FC before ReLU (R, D),
        after ReLU (R, D))."""
        if self.num_shared_convs or self.num_cls_convs or self.num_cls_fcs or self.num_reg_convs or self.num_reg_fcs:
            raise ValueError("post-hoc heads support two shared FCs and nothing else (Shared2FCBBoxHead)")
        flat = x.flatten(1)
        hidden, pre_relu = flat, flat
        for fc in self.shared_fcs:
            pre_relu = fc(hidden)
            hidden = self.relu(pre_relu)
        return flat, pre_relu, hidden


@MODELS.register_module()
class NCMBBoxHead(_PlainFCHead):
    """Nearest class mean classifier (docs/paper-release-and-us.md#transferred-methods): cosine similarity of a RoI's
    feature to each category's train mean, softmax (temperature 1), scaled by the baseline's 1 - p_bg.

    Args:
        ncm_feature: "fc" (the second shared FC's output before ReLU) or "conv" (the flattened RoIAlign
            feature).
    Buffers: ``class_means`` (C, D), filled by the posthoc stage.
    """

    def __init__(self, ncm_feature: str = "fc", temperature: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if ncm_feature not in ("fc", "conv"):
            raise ValueError(f"ncm_feature is fc or conv, got {ncm_feature!r}")
        self.ncm_feature, self.temperature = ncm_feature, temperature
        dim = self.fc_out_channels if ncm_feature == "fc" else self.in_channels * self.roi_feat_area
        self.register_buffer("class_means", torch.full((self.num_classes, dim), float("nan")))

    def ncm_features(self, x: Tensor) -> Tensor:
        flat, pre_relu, _ = self.hidden(x)
        return pre_relu if self.ncm_feature == "fc" else flat

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        flat, pre_relu, hidden = self.hidden(x)
        background = torch.softmax(self.fc_cls(hidden), dim=-1)[:, -1]
        features = pre_relu if self.ncm_feature == "fc" else flat
        scores = ncm_scores(features, self.class_means, background, self.temperature)
        return scores.clamp_min(LOG_FLOOR).log(), self.fc_reg(hidden)


@MODELS.register_module()
class TauSelectBBoxHead(_PlainFCHead):
    """tau-norm-select (docs/paper-release-and-us.md#transferred-methods): plain softmax scores, replaced by the
    scores of the tau-normalised classifier for RoIs whose (tau-normed) prediction is a tail category.

    Buffers: ``tau_weight`` (C + 1, D) (foreground rows normalised, background row kept; the bias is
    the classifier's) and ``tail_mask`` (C,) bool, filled by the posthoc stage.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.register_buffer("tau_weight", torch.zeros_like(self.fc_cls.weight))
        self.register_buffer("tail_mask", torch.zeros(self.num_classes, dtype=torch.bool))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        _, _, hidden = self.hidden(x)
        plain = torch.softmax(self.fc_cls(hidden), dim=-1)
        tau = torch.softmax(torch.nn.functional.linear(hidden, self.tau_weight, self.fc_cls.bias), dim=-1)
        scores = select_tau_scores(plain, tau, self.tail_mask)
        return scores.clamp_min(LOG_FLOOR).log(), self.fc_reg(hidden)
