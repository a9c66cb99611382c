"""BAGS on tensors (harness.algorithms.bags): hand-computed targets, sampling, losses and score merge.

Hand layout: category A (id 1, 5 train instances) in G1, category B (id 2, 50) in G2, threshold 10.
Full BAGS logits: G0 = [bg, fg], G1 = [others, A], G2 = [others, B].
"""

import math

import pytest
import torch

from harness.algorithms.bags import group_losses, merge_scores, others_weights, parse_beta, target_table
from harness.algorithms.group_layout import build_group_layout

LN3 = math.log(3)


def layout(background_group=True, others=True):
    return build_group_layout([1, 2], [5, 50], [10]).variant(background_group, others)


def test_target_tables_of_the_variants():
    assert target_table(layout()).tolist() == [[0, 1, 1], [0, 1, 0], [0, 0, 1]]
    assert target_table(layout(False, False)).tolist() == [[-1, 0, -1], [-1, -1, 0]]
    assert target_table(layout(True, False)).tolist() == [[0, 1, 1], [-1, 0, -1], [-1, -1, 0]]
    assert target_table(layout(False, True)).tolist() == [[0, 1, 0], [0, 0, 1]]
    assert [g.logit_length for g in layout(False, False).groups] == [1, 1]


@pytest.mark.parametrize("beta, expected_sum", [(0, 2), (0.5, 3), (1, 4), (8, 6), ("n", 6), ("all", 6)])
def test_others_sampling_ratio(beta, expected_sum):
    targets = torch.tensor([1, 0, 0, 0, 2, 0])  # 2 positives, 4 "others"
    weights = others_weights(targets, beta, torch.Generator().manual_seed(0))
    assert weights.sum() == expected_sum
    assert weights[0] == weights[4] == 1  # positives always count


@pytest.mark.parametrize("beta, expected", [(8, 0), ("n", 0), ("all", 3)])
def test_a_group_without_positives(beta, expected):
    assert others_weights(torch.tensor([0, 0, 0]), beta).sum() == expected


def test_beta_parsing():
    assert parse_beta("8") == 8.0 and parse_beta("n") == "n" and parse_beta("all") == "all"
    with pytest.raises(ValueError):
        parse_beta("-1")


def hand_logits():
    # G0 [0, ln3] -> p_bg 1/4, p_fg 3/4; G1 [0, ln3] -> q_A 3/4; G2 [ln3, 0] -> q_others 3/4, q_B 1/4
    return torch.tensor([[0.0, LN3, 0.0, LN3, LN3, 0.0]])


def test_losses_of_one_roi_of_category_a():
    full = layout()
    losses = group_losses(hand_logits(), torch.tensor([1]), full, target_table(full), beta=8)
    assert losses["loss_cls_g0"].item() == pytest.approx(math.log(4 / 3))
    assert losses["loss_cls_g1"].item() == pytest.approx(math.log(4 / 3))
    assert losses["loss_cls_g2"].item() == 0.0  # G2 has no positive: no loss this step
    losses = group_losses(hand_logits(), torch.tensor([1]), full, target_table(full), beta="all")
    assert losses["loss_cls_g2"].item() == pytest.approx(math.log(4 / 3))


def test_losses_are_normalised_per_group():
    full = layout()
    logits = torch.zeros(3, 6)
    losses = group_losses(logits, torch.tensor([0, 1, 2]), full, target_table(full), beta=8)
    assert [v.item() for v in losses.values()] == pytest.approx([math.log(2)] * 3)


def test_merge_with_background_group():
    assert merge_scores(hand_logits(), layout()).tolist()[0] == pytest.approx([9 / 16, 3 / 16, 1 / 4])


def test_merge_of_the_variants():
    # (3) "others" without G0: logits G1 [0, ln3], G2 [ln3, 0]
    logits = torch.tensor([[0.0, LN3, LN3, 0.0]])
    assert merge_scores(logits, layout(False, True)).tolist()[0] == pytest.approx([3 / 4, 1 / 4, 3 / 16])
    # (1) groups only: one logit per group, each softmax is 1; no background score
    assert merge_scores(torch.tensor([[0.3, -2.0]]), layout(False, False)).tolist()[0] == pytest.approx([1, 1, 0])
    # (2) G0 without "others": scores rescaled by p_fg
    assert merge_scores(torch.tensor([[0.0, LN3, 5.0, -1.0]]), layout(True, False)).tolist()[0] == \
        pytest.approx([3 / 4, 3 / 4, 1 / 4])
