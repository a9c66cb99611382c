"""Nearest-class-mean scoring on hand-sized features (background last)."""

import math

import pytest
import torch

from harness.algorithms.ncm import class_means, missing_classes, ncm_scores

E = math.e


def test_class_means_and_missing_classes():
    features = torch.tensor([[1.0, 0.0], [3.0, 2.0], [0.0, 4.0], [2.0, 2.0]])
    means = class_means(features, torch.tensor([0, 0, 2, 0]), num_classes=3)
    # class 0: ([1, 0] + [3, 2] + [2, 2]) / 3 = [2, 4/3]; class 1: no samples; class 2: [0, 4]
    assert torch.allclose(means[0], torch.tensor([2.0, 4.0 / 3.0]))
    assert torch.isnan(means[1]).all()
    assert torch.equal(means[2], torch.tensor([0.0, 4.0]))
    assert missing_classes(means) == [1]


def test_class_means_reject_out_of_range_labels():
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        class_means(torch.zeros(1, 2), torch.tensor([2]), num_classes=2)


def test_identical_and_orthogonal_features():
    # Feature [2, 0] points like mean 0 (cos 1) and is orthogonal to mean 1 (cos 0); means are
    # normalised first, so their lengths (5 and 0.1) do not matter. q = softmax([1, 0]) = [e, 1] / (e + 1).
    means = torch.tensor([[5.0, 0.0], [0.0, 0.1]])
    scores = ncm_scores(torch.tensor([[2.0, 0.0]]), means, torch.tensor([0.2]))
    expected = [0.8 * E / (E + 1), 0.8 / (E + 1), 0.2]
    assert scores[0].tolist() == pytest.approx(expected, rel=1e-6)


def test_temperature_divides_the_similarities():
    # s / 0.5 = [2, 0] -> q = [e^2, 1] / (e^2 + 1); p_bg = 0.
    scores = ncm_scores(torch.tensor([[1.0, 0.0]]), torch.eye(2), torch.tensor([0.0]), temperature=0.5)
    assert scores[0].tolist() == pytest.approx([E**2 / (E**2 + 1), 1 / (E**2 + 1), 0.0], rel=1e-6)


def test_rows_sum_to_one():
    torch.manual_seed(0)
    scores = ncm_scores(torch.randn(5, 3), torch.randn(4, 3), torch.rand(5))
    assert scores.shape == (5, 5)
    assert torch.allclose(scores.sum(dim=1), torch.ones(5))


def test_missing_class_scores_zero():
    # Class 1 is missing; feature [0, 3] has cos 0 with class 0 and cos 1 with class 2:
    # q = [1, -, e] / (1 + e), times 1 - p_bg = 0.5.
    means = torch.tensor([[1.0, 0.0], [float("nan"), float("nan")], [0.0, 1.0]])
    scores = ncm_scores(torch.tensor([[0.0, 3.0]]), means, torch.tensor([0.5]))
    assert scores[0].tolist() == pytest.approx([0.5 / (1 + E), 0.0, 0.5 * E / (1 + E), 0.5], rel=1e-6)


def test_all_means_missing_is_an_error():
    with pytest.raises(ValueError, match="every class mean is missing"):
        ncm_scores(torch.ones(1, 2), torch.full((2, 2), float("nan")), torch.tensor([0.5]))
