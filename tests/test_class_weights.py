"""Per-category CE weights of the transferred Re-weight / Re-weight-cls methods, on hand-computed counts."""

import numpy as np
import pytest

from harness.algorithms.class_weights import effective_number_weights, inverse_frequency_weights, with_background


def test_inverse_frequency_without_clipping():
    # 1/n = [1, 1/2, 1/4], mean = (7/4)/3 = 7/12 -> w = [12/7, 6/7, 3/7]
    weights = inverse_frequency_weights(np.array([1, 2, 4]))
    np.testing.assert_allclose(weights, [12 / 7, 6 / 7, 3 / 7], rtol=1e-12)


def test_inverse_frequency_clips_at_both_ends():
    # 1/n = [1, 0.1, 0.01 x 8], sum 1.18, mean 0.118 -> w = [8.47 -> 5, 0.1/0.118 = 50/59, 0.0847 -> 0.1]
    weights = inverse_frequency_weights(np.array([1, 10] + [100] * 8))
    np.testing.assert_allclose(weights, [5.0, 50 / 59] + [0.1] * 8, rtol=1e-12)


def test_inverse_frequency_honours_custom_bounds():
    # same counts, bounds [0.05, 10]: w = [1/0.118 = 500/59, 50/59, 0.01/0.118 = 5/59]
    weights = inverse_frequency_weights(np.array([1, 10] + [100] * 8), low=0.05, high=10.0)
    np.testing.assert_allclose(weights, [500 / 59, 50 / 59] + [5 / 59] * 8, rtol=1e-12)


def test_effective_number_with_simple_beta():
    # beta 0.5: e = [0.5/(1-0.5), 0.5/(1-0.25)] = [1, 2/3], mean 5/6 -> w = [6/5, 4/5]
    np.testing.assert_allclose(effective_number_weights(np.array([1, 2]), beta=0.5), [1.2, 0.8], rtol=1e-12)


def test_effective_number_lvis_beta():
    # beta 0.999, counts [1, 10, 1000]:
    #   e_1    = 0.001 / (1 - 0.999)                      = 1
    #   e_10   = 0.001 / (1 - 0.999**10)                  = 0.001 / (1 - 0.99004488021) = 0.1004508254
    #   e_1000 = 0.001 / (1 - 0.999**1000)                = 0.001 / (1 - 0.3676954248)  = 0.0015815163
    #   mean = 1.1020323417 / 3 = 0.3673441139
    #   w = [2.7222432, 0.2734516, 0.0043053 -> clipped to 0.1]
    weights = effective_number_weights(np.array([1, 10, 1000]))
    np.testing.assert_allclose(weights, [2.7222432, 0.2734516, 0.1], rtol=1e-6)
    unclipped = effective_number_weights(np.array([1, 10, 1000]), low=0.0, high=100.0)
    assert unclipped[2] == pytest.approx(0.0043053, rel=1e-4)


def test_effective_number_clips_at_the_top():
    # counts [1, 1000 x 9]: e = [1, 0.0015815163 x 9], mean 0.1014233647 -> w_0 = 9.8597 -> 5,
    # others 0.0155932 -> 0.1
    weights = effective_number_weights(np.array([1] + [1000] * 9))
    np.testing.assert_allclose(weights, [5.0] + [0.1] * 9, rtol=1e-12)


def test_background_is_appended_last():
    assert with_background(np.array([2.0, 0.5])) == [2.0, 0.5, 1.0]
    assert with_background(np.array([2.0, 0.5]), background_weight=0.25) == [2.0, 0.5, 0.25]
    assert all(type(w) is float for w in with_background(np.array([3, 1])))


@pytest.mark.parametrize("weigh", [inverse_frequency_weights, effective_number_weights])
def test_counts_below_one_name_the_index(weigh):
    with pytest.raises(ValueError, match="index 1"):
        weigh(np.array([3, 0, 2]))
    with pytest.raises(ValueError, match="index 2"):
        weigh(np.array([3, 1, 0.5]))
    with pytest.raises(ValueError):
        weigh(np.array([]))


@pytest.mark.parametrize("beta", [0.0, 1.0, 1.5, -0.1])
def test_beta_outside_open_unit_interval_is_rejected(beta):
    with pytest.raises(ValueError, match="beta"):
        effective_number_weights(np.array([1, 2]), beta=beta)


def test_inverted_bounds_are_rejected():
    with pytest.raises(ValueError, match="low"):
        inverse_frequency_weights(np.array([1, 2]), low=5.0, high=0.1)
