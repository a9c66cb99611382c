"""Sigmoid focal loss on the softmax classifier: hand-computed values and the mmdet head wiring."""

import math

import pytest
import torch
import torch.nn.functional as F

from harness.algorithms.focal import focal_scores, sigmoid_focal_loss

LN2 = math.log(2.0)


def test_one_roi_with_zero_logits():
    # p = 0.5 on both channels. Channel 0 (target 1): 0.25 * 0.5**2 * ln2 = 0.0625 ln2;
    # channel 1 (target 0): 0.75 * 0.5**2 * ln2 = 0.1875 ln2; mean over 2 elements = 0.125 ln2.
    loss = sigmoid_focal_loss(torch.zeros(1, 2), torch.tensor([0]))
    assert loss.item() == pytest.approx(0.125 * LN2, rel=1e-6)


def test_one_hot_position_and_alpha_direction():
    # logits [ln3, 0], label 1. Channel 0 (target 0): p = 0.75, p_t = 0.25, (1 - p_t)**2 = 0.5625,
    # alpha_t = 0.75, -ln 0.25 = 2 ln2 -> 0.84375 ln2. Channel 1 (target 1): 0.25 * 0.25 * ln2 = 0.0625 ln2.
    # Mean over 2 elements: 0.453125 ln2.
    loss = sigmoid_focal_loss(torch.tensor([[math.log(3.0), 0.0]]), torch.tensor([1]))
    assert loss.item() == pytest.approx(0.453125 * LN2, rel=1e-6)


def test_gamma_zero_alpha_half_is_half_the_mean_bce():
    torch.manual_seed(0)
    logits = torch.randn(5, 4) * 3
    labels = torch.tensor([0, 3, 1, 1, 2])
    bce = F.binary_cross_entropy_with_logits(logits, F.one_hot(labels, 4).float())
    loss = sigmoid_focal_loss(logits, labels, gamma=0.0, alpha=0.5)
    assert loss.item() == pytest.approx(0.5 * bce.item(), rel=1e-6)


@pytest.mark.parametrize("gamma", [2.0, 0.5])
def test_gradient_is_finite_for_large_logits(gamma):
    # Row 0 is confidently right, row 1 confidently wrong: channel 1 has logit -100 and target 1.
    logits = torch.tensor([[100.0, -100.0], [100.0, -100.0]], requires_grad=True)
    loss = sigmoid_focal_loss(logits, torch.tensor([0, 1]), gamma=gamma)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    # Row 1: both elements have p_t ~ exp(-100): 0.75 * 100 + 0.25 * 100 = 100, over 4 elements = 25.
    assert loss.item() == pytest.approx(25.0, rel=1e-5)


def test_roi_weights_scale_rows_but_not_the_divisor():
    # Each zero-logit row sums to 0.0625 ln2 + 0.1875 ln2 = 0.25 ln2; weights [1, 0] keep one row, / 4 elements.
    loss = sigmoid_focal_loss(torch.zeros(2, 2), torch.tensor([0, 1]), roi_weights=torch.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx(0.25 * LN2 / 4, rel=1e-6)


def test_labels_out_of_range_are_rejected():
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        sigmoid_focal_loss(torch.zeros(1, 2), torch.tensor([2]))


def test_scores_are_a_softmax():
    # softmax([0, ln3]) = [1/4, 3/4]
    assert focal_scores(torch.tensor([[0.0, math.log(3.0)]]))[0].tolist() == pytest.approx([0.25, 0.75])


def test_loss_module_protocol():
    from harness.models.focal_loss import SoftmaxHeadFocalLoss

    module = SoftmaxHeadFocalLoss(loss_weight=2.0)
    assert module.get_cls_channels(3) == 4
    # Same case as test_one_roi_with_zero_logits, times loss_weight 2.
    terms = module(torch.zeros(1, 2), torch.tensor([0]))
    assert set(terms) == {"loss_cls_focal"}
    assert terms["loss_cls_focal"].item() == pytest.approx(0.25 * LN2, rel=1e-6)
    # argmax [0, 2, 1] vs labels [0, 1, 1]: 2 of 3 right.
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 3.0, 0.0]])
    assert module.get_accuracy(logits, torch.tensor([0, 1, 1]))["acc"].item() == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match="only reduces by the mean"):
        module(logits, torch.tensor([0, 1, 1]), reduction_override="sum")


def test_shared2fc_head_keeps_the_baseline_classifier_and_returns_the_focal_term():
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import harness.models.focal_loss  # noqa: F401  (registers SoftmaxHeadFocalLoss)

    register_all_modules()
    head = MODELS.build(dict(type="Shared2FCBBoxHead", in_channels=2, fc_out_channels=8, roi_feat_size=2,
                             num_classes=3, loss_cls=dict(type="SoftmaxHeadFocalLoss")))
    assert head.fc_cls.out_features == 3 + 1
    cls_score = torch.tensor([[0.0, math.log(3.0), 0.0, 0.0], [1.0, 0.0, 0.0, 2.0]])
    labels = torch.tensor([1, 3])  # a category-1 RoI and a background RoI (background = C = 3)
    rois = torch.tensor([[0.0, 0.0, 0.0, 4.0, 4.0], [0.0, 1.0, 1.0, 5.0, 5.0]])
    losses = head.loss(cls_score, None, rois, labels, torch.ones(2), torch.zeros(2, 4), torch.zeros(2, 4))
    assert set(losses) == {"loss_cls_focal", "acc"}
    assert losses["loss_cls_focal"].item() == pytest.approx(sigmoid_focal_loss(cls_score, labels).item())
    assert losses["acc"].item() == pytest.approx(100.0)  # argmax [1, 3] == labels
    assert torch.allclose(head.loss_cls.get_activation(cls_score), cls_score.softmax(dim=1))
