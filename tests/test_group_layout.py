"""BAGS group layout (harness.algorithms.group_layout): hand-computed cases and the authors' LVIS layout."""

import pytest

from conftest import LVIS_V05_STATS, MICRO_COUNTS
from harness.algorithms.group_layout import (
    build_group_layout,
    count_bin,
    layout_from_json,
    layout_to_json,
    validate_thresholds,
)
from harness.data.category_stats import load_category_stats


def micro_layout():
    return build_group_layout(list(MICRO_COUNTS), list(MICRO_COUNTS.values()), [10, 100, 1000])


def test_micro_groups_are_binned_by_half_open_count_ranges():
    layout = micro_layout()
    assert [g.category_ids for g in layout.groups] == [(), (1, 5), (2,), (3, 9), (7,)]
    assert [g.count_range for g in layout.groups] == [None, (0, 10), (10, 100), (100, 1000), (1000, None)]


def test_micro_logit_slices_put_g0_first_and_others_in_every_group():
    layout = micro_layout()
    assert [(g.logit_start, g.logit_length) for g in layout.groups] == [(0, 2), (2, 3), (5, 2), (7, 3), (10, 2)]
    assert layout.num_logits == 12 == 6 + 1 + 5  # C + 1 + (N + 1)


def test_micro_remap_gives_group_and_one_based_index():
    assert micro_layout().remap() == {1: (1, 1), 5: (1, 2), 2: (2, 1), 3: (3, 1), 9: (3, 2), 7: (4, 1)}


def test_micro_group_targets_match_label2binlabel():
    # labels 1..6 = ids 1, 2, 3, 5, 7, 9 (ascending id); label 0 = background
    assert micro_layout().group_targets() == [
        [0, 1, 1, 1, 1, 1, 1],
        [0, 1, 0, 0, 2, 0, 0],
        [0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 2],
        [0, 0, 0, 0, 0, 1, 0],
    ]


@pytest.mark.parametrize("count, expected", [(0, 0), (9, 0), (10, 1), (99, 1), (100, 2), (999, 2), (1000, 3)])
def test_count_bin_edges_belong_to_the_upper_bin(count, expected):
    assert count_bin(count, (10, 100, 1000)) == expected


@pytest.mark.parametrize("bad", [[], [10, 10], [100, 10], [0, 10], [-1], [True]])
def test_thresholds_must_be_positive_and_strictly_increasing(bad):
    with pytest.raises(ValueError):
        validate_thresholds(bad)


def test_empty_group_names_its_bin():
    with pytest.raises(ValueError, match=r"G2 \(instance counts in \[10, 100\)\) has no categories"):
        build_group_layout([1, 2], [5, 500], [10, 100])


def test_json_round_trip_preserves_layout():
    layout = micro_layout()
    assert layout_from_json(layout_to_json(layout)) == layout


# The authors' layouts on LVIS v0.5 (docs/paper-release-and-us.md#other-group-counts).
AUTHORS_LVIS_V05 = {
    (100,): ([747, 483], [0, 2, 750], 1234),
    (10, 100, 1000): ([294, 453, 302, 181], [0, 2, 297, 751, 1054], 1236),
    (5, 10, 50, 100, 500, 1000, 5000): (
        [178, 116, 327, 126, 224, 78, 156, 25], [0, 2, 181, 298, 626, 753, 978, 1057, 1214], 1240),
}


@pytest.mark.parametrize("thresholds", list(AUTHORS_LVIS_V05))
def test_reproduces_authors_layout_on_lvis_v05(thresholds):
    sizes, starts, num_logits = AUTHORS_LVIS_V05[thresholds]
    stats = load_category_stats(LVIS_V05_STATS)
    layout = build_group_layout(stats.category_ids, stats.instance_counts, thresholds)
    assert [len(g.category_ids) for g in layout.groups[1:]] == sizes
    assert [g.logit_start for g in layout.groups] == starts
    assert layout.num_logits == num_logits
