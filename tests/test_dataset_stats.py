"""Stage `dataset-stats` on a hand-made pair of files."""

import csv
import json

from conftest import run_harness

BOX = [0, 0, 4, 4]


def test_hand_computed_summary(write_json, tmp_path):
    cats = [{"id": 1, "name": "a", "frequency": "r"}, {"id": 2, "name": "b", "frequency": "f"}]
    train = write_json("train.json", {
        "info": {"bin_thresholds": [2]}, "categories": cats,
        "images": [{"id": 1, "neg_category_ids": [], "not_exhaustive_category_ids": [2]},
                   {"id": 2, "neg_category_ids": [], "not_exhaustive_category_ids": []}],
        "annotations": [{"image_id": 1, "category_id": 1, "bbox": BOX}, {"image_id": 1, "category_id": 2, "bbox": BOX},
                        {"image_id": 2, "category_id": 2, "bbox": BOX},
                        {"image_id": 2, "category_id": 2, "iscrowd": 1, "bbox": BOX}]})
    val = write_json("val.json", {"categories": cats, "images": [{"id": 9}],
                                  "annotations": [{"image_id": 9, "category_id": 2, "bbox": BOX}]})
    result = run_harness("dataset-stats", "--train", str(train), "--val", str(val),
                         "--categories-csv", str(tmp_path / "c.csv"), "--summary", str(tmp_path / "s.json"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["thresholds"] == [2] and summary["bins"] == ["[0, 2)", "[2, inf)"]
    assert summary["categories_per_bin"] == [1, 1]
    assert summary["train_instances_per_bin"] == [1, 2]
    assert summary["val_present_categories_per_bin"] == [0, 1]
    assert summary["train"] == {"images": 2, "instances": 3, "ignore_regions": 1, "not_exhaustive_images": 1,
                                "images_with_negatives": 0}
    assert summary["frequency_counts"] == {"r": 1, "c": 0, "f": 1}
    rows = list(csv.DictReader((tmp_path / "c.csv").open()))
    assert rows[1] == {"category_id": "2", "name": "b", "frequency": "f", "train_instances": "2",
                       "train_images": "2", "val_instances": "1", "bin": "2"}


def test_missing_thresholds_are_named(write_json, tmp_path):
    train = write_json("train.json", {"categories": [{"id": 1}], "images": [{"id": 1}], "annotations": []})
    result = run_harness("dataset-stats", "--train", str(train), "--val", str(train),
                         "--categories-csv", str(tmp_path / "c.csv"), "--summary", str(tmp_path / "s.json"))
    assert result.returncode == 2 and "train.json: field 'info.bin_thresholds': missing" in result.stderr
    assert not (tmp_path / "c.csv").exists()
