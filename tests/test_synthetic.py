"""The synthetic LVIS-shaped benchmark and the balanced synthetic COCO (stage `synth`)."""

import hashlib
import json
from collections import Counter, defaultdict

import cv2
import numpy as np
import pytest

from conftest import LVIS_V05_STATS, run_harness, synth
from harness.algorithms.count_scaling import CountScaling
from harness.algorithms.group_layout import count_bin
from harness.data.category_stats import load_category_stats
from harness.data.synthetic.counts import frequency_group, sample_reference_counts


def load(folder, split="train"):
    return json.loads((folder / f"{split}.json").read_text())


def test_train_counts_follow_the_scaled_lvis_rank_curve(synthetic_lvis):
    train = load(synthetic_lvis)
    scaling = CountScaling.from_json(train["info"]["count_scaling"])
    reference = sample_reference_counts(list(load_category_stats(LVIS_V05_STATS).instance_counts), 12, 2, (10, 100, 1000))
    expected = sorted(scaling.scale_count(n) for n in reference)
    counted = Counter(a["category_id"] for a in train["annotations"])
    assert sorted(counted.values()) == expected
    assert {c["id"]: c["instance_count"] for c in train["categories"]} == dict(counted)
    assert train["info"]["bin_thresholds"] == [4, 16, 64]
    bins = Counter(count_bin(n, [4, 16, 64]) for n in counted.values())
    assert all(bins[k] >= 2 for k in range(4))


def test_every_category_has_val_instances_and_train_frequency(synthetic_lvis):
    train, val = load(synthetic_lvis), load(synthetic_lvis, "val")
    assert {a["category_id"] for a in val["annotations"]} == {c["id"] for c in train["categories"]}
    assert val["categories"] == train["categories"]
    scaling = CountScaling.from_json(train["info"]["count_scaling"])
    images = defaultdict(set)
    for ann in train["annotations"]:
        images[ann["category_id"]].add(ann["image_id"])
    for cat in train["categories"]:
        assert cat["image_count"] == len(images[cat["id"]])
        assert cat["frequency"] == frequency_group(cat["image_count"], scaling)


@pytest.mark.parametrize("split", ["train", "val"])
def test_federated_fields_are_consistent(synthetic_lvis, split):
    data = load(synthetic_lvis, split)
    present = defaultdict(set)
    for ann in data["annotations"]:
        present[ann["image_id"]].add(ann["category_id"])
    assert any(im["not_exhaustive_category_ids"] for im in data["images"]) or split == "val"
    for image in data["images"]:
        assert not set(image["neg_category_ids"]) & present[image["id"]]
        assert set(image["not_exhaustive_category_ids"]) <= present[image["id"]]


def test_loads_with_lvis_api_and_mmdet(synthetic_lvis):
    from lvis import LVIS
    from mmdet.datasets import LVISV05Dataset

    api = LVIS(str(synthetic_lvis / "val.json"))
    assert len(api.get_cat_ids()) == 12
    names = tuple(c["name"] for c in load(synthetic_lvis, "val")["categories"])
    dataset = LVISV05Dataset(ann_file=str(synthetic_lvis / "val.json"), metainfo={"classes": names},
                             data_prefix={"img": str(synthetic_lvis / "images")}, pipeline=[], test_mode=True)
    first = dataset[0]
    assert first["img_path"].startswith(str(synthetic_lvis / "images"))
    assert cv2.imread(first["img_path"]) is not None
    assert {inst["bbox_label"] for d in (dataset[i] for i in range(len(dataset))) for inst in d["instances"]} \
        == set(range(12))


def test_objects_lie_inside_their_boxes(synthetic_lvis):
    """Object pixels (stuff label 0) fall inside the union of boxes, and each box is mostly object."""
    train = load(synthetic_lvis)
    boxes = defaultdict(list)
    for ann in train["annotations"]:
        boxes[ann["image_id"]].append(ann["bbox"])
    checked = 0
    for image in train["images"][:40]:
        if image["not_exhaustive_category_ids"]:
            continue  # holds an unannotated instance on purpose
        stuff = cv2.imread(str(synthetic_lvis / "stuff" / image["file_name"]), cv2.IMREAD_UNCHANGED)
        inside = np.zeros_like(stuff, dtype=bool)
        for x, y, w, h in boxes[image["id"]]:
            box = stuff[int(y):int(np.ceil(y + h)) + 1, int(x):int(np.ceil(x + w)) + 1]
            assert (box == 0).mean() > 0.25, (image["file_name"], (x, y, w, h))
            inside[max(0, int(y) - 1):int(np.ceil(y + h)) + 2, max(0, int(x) - 1):int(np.ceil(x + w)) + 2] = True
        assert not ((stuff == 0) & ~inside).any(), image["file_name"]
        checked += 1
    assert checked >= 20


def test_stuff_maps_use_the_declared_classes(synthetic_lvis):
    train = load(synthetic_lvis)
    labels = {int(k) for k in train["info"]["stuff_classes"]}
    stuff = cv2.imread(str(synthetic_lvis / "stuff" / train["images"][0]["file_name"]), cv2.IMREAD_UNCHANGED)
    assert stuff.shape == (48, 48) and set(np.unique(stuff)) <= labels


def digest(folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "meta.json")
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def test_deterministic_given_a_seed(synthetic_lvis, tmp_path):
    again = synth(tmp_path / "again", "lvis", 0)
    assert again.returncode == 0, again.stderr
    assert digest(tmp_path / "again") == digest(synthetic_lvis)
    other = synth(tmp_path / "other", "lvis", 1)
    assert other.returncode == 0
    assert load(tmp_path / "other") != load(synthetic_lvis)


def test_balanced_coco_is_balanced(synthetic_coco):
    train, val = load(synthetic_coco), load(synthetic_coco, "val")
    counts = Counter(a["category_id"] for a in train["annotations"])
    assert len(train["categories"]) == 80 and len(counts) == 80
    assert min(counts.values()) >= 0.8 * 24 - 1 and max(counts.values()) <= 1.2 * 24 + 1
    assert Counter(a["category_id"] for a in val["annotations"]) == {c: 3 for c in counts}
    assert all(a["iscrowd"] == 0 for a in train["annotations"])
    from pycocotools.coco import COCO
    assert len(COCO(str(synthetic_coco / "train.json")).getImgIds()) == len(train["images"])


@pytest.mark.parametrize("args, message", [
    (("--seed", "zero"), "invalid int value: 'zero'"),
    (("--num-categories", "8", "--min-categories-per-bin", "5"), "cannot give 4 bins at least 5 each"),
    (("--object-size", "30", "40"), "--object-size"),
    (("--bin-thresholds", "100", "10"), "--bin-thresholds: thresholds must be strictly increasing"),
])
def test_bad_input_fails_and_leaves_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    result = synth(out, "lvis", 0, *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_lvis_kind_needs_reference_stats(tmp_path):
    result = run_harness("synth", "--kind", "lvis", "--seed", "0", "--train-json", str(tmp_path / "t.json"),
                         "--val-json", str(tmp_path / "v.json"), "--images", str(tmp_path / "i"),
                         "--stuff", str(tmp_path / "s"), "--meta", str(tmp_path / "m.json"))
    assert result.returncode == 2 and "--reference-stats: required with --kind lvis" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_bin_thresholds_come_from_the_command_line(synthetic_lvis, tmp_path):
    """The profile's bins.thresholds (paper scale) reach the files, mapped by the count scaling (first edge
    4, ratio 4: 10 -> 4, 100 -> 16, 1000 -> 64; 30 -> 4 * 3 ** (log 4 / log 10) = 7.75, an edge at 8), and the
    default is the paper's 10 / 100 / 1000."""
    assert load(synthetic_lvis)["info"]["bin_thresholds"] == [4, 16, 64]
    result = synth(tmp_path / "n2", "lvis", 0, "--bin-thresholds", "30", "--num-categories", "6")
    assert result.returncode == 0, result.stderr
    info = load(tmp_path / "n2")["info"]
    assert (info["reference_bin_thresholds"], info["bin_thresholds"]) == ([30], [8])
