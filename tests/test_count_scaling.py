"""Count scaling (paper scale -> benchmark scale) and the stratified choice of category counts."""

import math

import pytest

from conftest import LVIS_V05_STATS
from harness.algorithms.count_scaling import CountScaling
from harness.algorithms.group_layout import count_bin
from harness.data.category_stats import load_category_stats
from harness.data.synthetic.counts import allocate_per_bin, frequency_group, sample_reference_counts

QUARTER = CountScaling.from_first_threshold(4, 4)  # 10 -> 4, 100 -> 16, 1000 -> 64


def test_paper_edges_map_to_first_threshold_times_ratio_powers():
    assert QUARTER.scale_thresholds([10, 100, 1000]) == [4, 16, 64]


def test_off_grid_edges_become_their_integer_equivalent():
    # scale(5) = 4 * 0.5 ** log10(4) = 2.639..., scale(50) = 10.56..., scale(5000) = 168.9...
    assert QUARTER.scale(5) == pytest.approx(4 * 0.5 ** math.log10(4))
    assert QUARTER.scale_thresholds([5, 50, 500, 5000]) == [3, 11, 43, 169]


def test_identity_scaling_leaves_counts_alone():
    identity = CountScaling()
    assert identity.scale_thresholds([10, 100, 1000]) == [10, 100, 1000]
    assert identity.scale_count(37) == 37


def test_scaled_counts_keep_every_lvis_category_in_its_bin():
    for n in load_category_stats(LVIS_V05_STATS).instance_counts:
        assert count_bin(QUARTER.scale_count(n), [4, 16, 64]) == count_bin(n, [10, 100, 1000]), n


def test_allocation_is_proportional_with_a_minimum():
    # spare 20 over LVIS's 294/453/302/181: shares 4.78, 7.37, 4.91, 2.94 -> floors 4, 7, 4, 2 (+5 each),
    # the 3 leftover go to the largest remainders (bins 4, 3, 1)
    assert allocate_per_bin([294, 453, 302, 181], 40, 5) == [10, 12, 10, 8]
    with pytest.raises(ValueError):
        allocate_per_bin([294, 453, 302, 181], 15, 5)


def test_reference_counts_are_stratified_across_the_rank_curve():
    counts = load_category_stats(LVIS_V05_STATS).instance_counts
    chosen = sample_reference_counts(list(counts), 40, 5, (10, 100, 1000))
    assert [sum(count_bin(n, [10, 100, 1000]) == k for n in chosen) for k in range(4)] == [10, 12, 10, 8]
    assert chosen == sorted(chosen, reverse=True)


@pytest.mark.parametrize("scaled_images, paper_images, expected",
                         [(1, 1, "r"), (4, 10, "r"), (5, 11, "c"), (16, 100, "c"), (17, 101, "f")])
def test_frequency_rule_scales_lvis_image_edges(scaled_images, paper_images, expected):
    assert frequency_group(scaled_images, QUARTER) == expected
    assert frequency_group(paper_images, CountScaling()) == expected
