"""Sigmoid focal loss on the softmax classifier: hand-computed values, the release's targets
(docs/paper-release-and-us.md) and the mmdet head wiring."""

import math

import pytest
import torch
import torch.nn.functional as F

from harness.algorithms.focal import focal_scores, release_focal_loss, release_targets, sigmoid_focal_loss

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


# The release's targets. Our layout: categories 0..C-1, background C; the release numbers background 0
# and category k as k + 1, so RoI 0's release label is 0 (background) or its label + 1.

def test_release_targets_put_the_background_channel_on_the_roi_indexed_by_roi_0s_label():
    # C = 3. RoI 0 is category 1 -> release label 2 -> RoI 2 (a category-0 RoI) gets the background
    # channel (3) positive; RoI 0 (category 1) and RoI 1 (background) are all-negative.
    targets = release_targets(torch.tensor([1, 3, 0]), 4)
    assert targets.tolist() == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]


def test_release_targets_of_a_background_roi_0_mark_roi_0_itself():
    # RoI 0 is background (3) -> release label 0 -> RoI 0 reads the 1: background channel positive.
    targets = release_targets(torch.tensor([3, 2, 2]), 4)
    assert targets.tolist() == [[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize("labels, channels", [
    ([2, 0, 1], 4),  # C = 3: RoI 0 is category 2 -> release label 3, no RoI 3 among R = 3
    ([5, 7, 1], 8),  # C = 7: RoI 0 is category 5 -> release label 6 >= R = 3
])
def test_release_targets_are_all_negative_when_roi_0s_label_is_past_the_rois(labels, channels):
    assert release_targets(torch.tensor(labels), channels).sum().item() == 0


def test_release_targets_reject_labels_outside_the_channels():
    with pytest.raises(ValueError, match="labels must lie in 0..3"):
        release_targets(torch.tensor([4, 0]), 4)


def test_release_focal_loss_on_two_rois():
    # C = 1 (channels: category 0, background 1); labels [0, 1]: RoI 0 is category 0 -> release label 1
    # -> RoI 1 gets the background channel positive, RoI 0 is all-negative. Logits [[ln3, 0], [0, -ln3]]:
    # RoI 0 ch0 (target 0, p = 0.75): 0.75 * 0.75**2 * 2 ln2 = 0.84375 ln2; ch1 (target 0, p = 0.5):
    # 0.75 * 0.25 * ln2 = 0.1875 ln2. RoI 1 ch0 (target 0, p = 0.5): 0.1875 ln2; ch1 (target 1, p = 0.25):
    # 0.25 * 0.75**2 * 2 ln2 = 0.28125 ln2. Sum 1.5 ln2 over R * (C + 1) = 4 elements: 0.375 ln2.
    logits = torch.tensor([[math.log(3.0), 0.0], [0.0, -math.log(3.0)]])
    labels = torch.tensor([0, 1])
    assert release_focal_loss(logits, labels).item() == pytest.approx(0.375 * LN2, rel=1e-6)
    # The intended loss differs: RoI 0's category channel would be positive.
    assert sigmoid_focal_loss(logits, labels).item() != pytest.approx(0.375 * LN2, rel=1e-3)


def test_loss_module_trains_on_release_targets_when_asked():
    from harness.models.focal_loss import SoftmaxHeadFocalLoss

    logits = torch.tensor([[math.log(3.0), 0.0], [0.0, -math.log(3.0)]])
    terms = SoftmaxHeadFocalLoss(release_targets=True)(logits, torch.tensor([0, 1]))
    assert set(terms) == {"loss_cls_focal"}
    assert terms["loss_cls_focal"].item() == pytest.approx(0.375 * LN2, rel=1e-6)


def test_shared2fc_head_with_release_targets_returns_the_release_loss():
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import harness.models.focal_loss  # noqa: F401  (registers SoftmaxHeadFocalLoss)

    register_all_modules()
    head = MODELS.build(dict(type="Shared2FCBBoxHead", in_channels=2, fc_out_channels=8, roi_feat_size=2,
                             num_classes=3, loss_cls=dict(type="SoftmaxHeadFocalLoss", release_targets=True)))
    cls_score = torch.tensor([[0.0, math.log(3.0), 0.0, 0.0], [1.0, 0.0, 0.0, 2.0]])
    labels = torch.tensor([3, 1])  # RoI 0 is background: RoI 0 gets the background channel positive
    rois = torch.tensor([[0.0, 0.0, 0.0, 4.0, 4.0], [0.0, 1.0, 1.0, 5.0, 5.0]])
    losses = head.loss(cls_score, None, rois, labels, torch.ones(2), torch.zeros(2, 4), torch.zeros(2, 4))
    assert losses["loss_cls_focal"].item() == pytest.approx(release_focal_loss(cls_score, labels).item())
    assert losses["loss_cls_focal"].item() != pytest.approx(sigmoid_focal_loss(cls_score, labels).item())
    assert torch.allclose(head.loss_cls.get_activation(cls_score), cls_score.softmax(dim=1))
