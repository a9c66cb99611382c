"""tau-norm and tau-norm-select on hand-sized tensors (background last)."""

import math

import pytest
import torch

from harness.algorithms.tau_norm import choose_tau, select_tau_scores, tau_normalise

WEIGHT = torch.tensor([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]])  # row norms 5, 2, 1


def test_tau_zero_is_the_identity():
    assert torch.equal(tau_normalise(WEIGHT, 0.0), WEIGHT)


def test_tau_one_gives_unit_rows():
    assert torch.allclose(tau_normalise(WEIGHT, 1.0), torch.tensor([[0.6, 0.8], [0.0, 1.0], [1.0, 0.0]]))


def test_tau_half_divides_by_the_root_of_the_norm():
    # row 0: [3, 4] / sqrt(5); row 1: [0, 2] / sqrt(2) = [0, sqrt(2)]; row 2 has norm 1.
    root5 = math.sqrt(5.0)
    expected = torch.tensor([[3 / root5, 4 / root5], [0.0, math.sqrt(2.0)], [1.0, 0.0]])
    assert torch.allclose(tau_normalise(WEIGHT, 0.5), expected)


@pytest.mark.parametrize("rows", [torch.tensor([1]), torch.tensor([False, True, False])])
def test_only_selected_rows_change(rows):
    before = WEIGHT.clone()
    result = tau_normalise(WEIGHT, 1.0, rows)
    assert torch.equal(result, torch.tensor([[3.0, 4.0], [0.0, 1.0], [1.0, 0.0]]))
    assert torch.equal(WEIGHT, before)  # the input is not modified


def test_a_zero_row_stays_zero():
    assert torch.equal(tau_normalise(torch.zeros(1, 3), 1.0), torch.zeros(1, 3))


def test_select_rule_covers_every_branch():
    # C = 2 categories, category 0 is tail, background = column 2.
    tail_mask = torch.tensor([True, False])
    plain = torch.tensor([
        [0.1, 0.2, 0.7],  # A: plain says background -> plain kept (tau would say tail category 0)
        [0.3, 0.6, 0.1],  # B: plain says 1, tau says 0 (tail) -> tau row
        [0.6, 0.3, 0.1],  # C: plain says 0 (tail), tau says 1 (not tail) -> plain kept
        [0.5, 0.2, 0.3],  # D: plain says 0, tau says background -> plain kept
    ])
    tau = torch.tensor([
        [0.8, 0.1, 0.1],
        [0.5, 0.4, 0.1],
        [0.2, 0.7, 0.1],
        [0.3, 0.1, 0.6],
    ])
    selected = select_tau_scores(plain, tau, tail_mask)
    expected = torch.stack([plain[0], tau[1], plain[2], plain[3]])
    assert torch.equal(selected, expected)


def test_select_rule_checks_shapes():
    with pytest.raises(ValueError, match=r"need two \(R, 3\) score tensors"):
        select_tau_scores(torch.zeros(2, 4), torch.zeros(2, 4), torch.tensor([True, False]))


def test_choose_tau_takes_the_first_best_and_reports_all():
    scores = {0.0: 1.0, 0.5: 3.0, 1.0: 3.0, 1.5: 2.0}
    best, table = choose_tau([0.0, 0.5, 1.0, 1.5], scores.__getitem__)
    assert best == 0.5
    assert table == scores


def test_choose_tau_needs_candidates():
    with pytest.raises(ValueError, match="at least one"):
        choose_tau([], lambda tau: 0.0)
