"""Category statistics from a statistics file or an annotation file, and their input errors."""

import pytest

from conftest import LVIS_V05_STATS
from harness.data.category_stats import load_category_stats
from harness.errors import InputError


def test_stats_file_is_read_in_ascending_id_order(micro_stats):
    stats = load_category_stats(micro_stats)
    assert stats.category_ids == (1, 2, 3, 5, 7, 9)
    assert stats.instance_counts == (4, 15, 150, 9, 2000, 100)


def test_annotation_file_counts_annotations_and_skips_crowd(write_json):
    path = write_json("ann.json", {
        "categories": [{"id": 2}, {"id": 1}, {"id": 4}],
        "annotations": [{"category_id": 1}, {"category_id": 2}, {"category_id": 1},
                        {"category_id": 2, "iscrowd": 1}],
    })
    stats = load_category_stats(path)
    assert stats.category_ids == (1, 2, 4)
    assert stats.instance_counts == (2, 1, 0)


def test_real_lvis_v05_totals():
    stats = load_category_stats(LVIS_V05_STATS)
    assert len(stats.category_ids) == 1230
    assert sum(stats.instance_counts) == 693_958
    assert min(stats.instance_counts) == 1 and max(stats.instance_counts) == 26_148


@pytest.mark.parametrize("payload, field", [
    ({"images": []}, "categories"),
    ({"categories": []}, "categories"),
    ({"categories": [{"name": "x"}]}, r"categories\[0\].id"),
    ({"categories": [{"id": 1, "instance_count": 3}, {"id": 2}]}, r"categories\[1\].instance_count"),
    ({"categories": [{"id": 1, "instance_count": -3}]}, r"categories\[0\].instance_count"),
    ({"categories": [{"id": 1, "instance_count": 1}, {"id": 1, "instance_count": 2}]}, r"categories\[1\].id"),
    ({"categories": [{"id": 1}], "annotations": [{"category_id": 8}]}, r"annotations\[0\].category_id"),
])
def test_malformed_input_names_file_and_field(write_json, payload, field):
    path = write_json("bad.json", payload)
    with pytest.raises(InputError, match=rf"bad.json: field '{field}'"):
        load_category_stats(path)


def test_missing_and_unparsable_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_category_stats(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"categories": [')
    with pytest.raises(InputError, match="broken.json: malformed JSON"):
        load_category_stats(broken)
