"""COCO-LT construction (stage `coco-lt`): targets, whole-image dropping, ignore regions, report."""

import json
from collections import Counter

import pytest

from conftest import REPO, run_harness
from harness.data.coco_lt import COCO_2017_IDS, subsample, targets_by_id, targets_by_rank

PROFILE = REPO / "configs" / "data" / "coco_lt_category_stats.json"


def profile_counts():
    return {c["id"]: c["instance_count"] for c in json.loads(PROFILE.read_text())["categories"]}


def build(source, out_dir, seed=0):
    result = run_harness("coco-lt", "--source", str(source), "--profile", str(PROFILE), "--out",
                         str(out_dir / "train.json"), "--report", str(out_dir / "report.json"), "--seed", str(seed))
    return result


@pytest.fixture(scope="module")
def coco_lt(synthetic_coco, tmp_path_factory):
    out = tmp_path_factory.mktemp("coco_lt")
    result = build(synthetic_coco / "train.json", out)
    assert result.returncode == 0, result.stderr
    return out


def test_bins_hold_exactly_4_24_32_20_categories(coco_lt):
    report = json.loads((coco_lt / "report.json").read_text())
    assert report["match"] == "rank"
    assert Counter(r["bin"] for r in report["categories"]) == {1: 4, 2: 24, 3: 32, 4: 20}
    train = json.loads((coco_lt / "train.json").read_text())
    assert train["info"]["bin_thresholds"] == report["bin_thresholds"]
    assert train["info"]["reference_bin_thresholds"] == [20, 400, 8000]


def test_achieved_counts_equal_targets(coco_lt):
    report = json.loads((coco_lt / "report.json").read_text())
    train = json.loads((coco_lt / "train.json").read_text())
    positives = Counter(a["category_id"] for a in train["annotations"] if a["iscrowd"] == 0)
    for row in report["categories"]:
        assert row["achieved"] == row["target"] == positives[row["category_id"]]


def test_kept_images_are_a_subset_and_surplus_becomes_ignore(synthetic_coco, coco_lt):
    source = json.loads((synthetic_coco / "train.json").read_text())
    train = json.loads((coco_lt / "train.json").read_text())
    source_anns = {a["id"]: a for a in source["annotations"]}
    assert {im["id"] for im in train["images"]} < {im["id"] for im in source["images"]}
    for ann in train["annotations"]:
        original = source_anns[ann["id"]]
        assert {k: v for k, v in ann.items() if k != "iscrowd"} == {k: v for k, v in original.items() if k != "iscrowd"}
    kept = {im["id"] for im in train["images"]}
    assert all(any(a["image_id"] == i and a["iscrowd"] == 0 for a in train["annotations"]) for i in kept)
    dropped_whole = len(source["images"]) - len(kept)
    assert dropped_whole > 0.5 * len(source["images"])  # whole images are preferred


def test_deterministic_by_seed(synthetic_coco, coco_lt, tmp_path):
    assert build(synthetic_coco / "train.json", tmp_path).returncode == 0
    assert (tmp_path / "train.json").read_text() == (coco_lt / "train.json").read_text()


def test_rank_targets_span_the_source_range_in_log_space():
    source = {cid: 100 - cid for cid in range(1, 81)}  # 99 .. 20 instances
    targets, scaling, edges = targets_by_rank(profile_counts(), source, min_count=1)
    assert targets[1] == 99 and min(targets.values()) == 1
    assert scaling.scale(11) == pytest.approx(1) and scaling.scale(262465) == pytest.approx(99)
    assert edges == scaling.scale_thresholds([20, 400, 8000])
    assert sorted(targets.values(), reverse=True) == [targets[c] for c in sorted(source, key=lambda c: -source[c])]


def test_real_coco_targets_are_matched_by_id():
    targets = targets_by_id(profile_counts(), set(COCO_2017_IDS))
    assert targets[1] == 262465        # person, profile id 1
    assert targets[11] == 11           # fire hydrant
    assert targets[13] == 22           # stop sign: COCO id 13 is the profile's 12th category
    assert targets[90] == 15           # toothbrush, profile id 80


def test_subsample_hand_case():
    # image 1: A A, image 2: A B, image 3: B; targets A = 1, B = 1
    dataset = {"images": [{"id": 1}, {"id": 2}, {"id": 3}], "categories": [{"id": 1}, {"id": 2}],
               "annotations": [{"id": 1, "image_id": 1, "category_id": 1}, {"id": 2, "image_id": 1, "category_id": 1},
                               {"id": 3, "image_id": 2, "category_id": 1}, {"id": 4, "image_id": 2, "category_id": 2},
                               {"id": 5, "image_id": 3, "category_id": 2}]}
    for seed in range(6):
        result = subsample(dataset, {1: 1, 2: 1}, seed)
        positives = Counter(a["category_id"] for a in result["annotations"] if a.get("iscrowd", 0) != 1)
        assert positives == {1: 1, 2: 1}
        assert len(result["images"]) <= 2  # one of the three images always goes whole


def test_source_without_categories_is_rejected(tmp_path):
    source = tmp_path / "source.json"
    source.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    result = build(source, tmp_path / "out")
    assert result.returncode == 2 and "source.json: field 'categories': missing or empty" in result.stderr
    assert not (tmp_path / "out").exists()
