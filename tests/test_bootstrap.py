"""Paired image bootstrap of AP: identity with the evaluator, hand-computed resamples, pairing, masks."""

import copy
import json

import numpy as np
import pytest

from conftest import LVIS_V05_STATS, REPO, run_harness
from harness.eval.ap import average_precision, evaluate_detections
from harness.eval.bins import train_bins
from harness.eval.bootstrap import bootstrap_metrics, image_ids_digest, match_detections, resample_counts
from harness.eval.matching import match_image
from test_evaluate import padded_lvis_case

CASE = REPO / "tests" / "fixtures" / "eval_case"
GT, DETS = CASE / "lvis_v0.5_val_100.json", CASE / "lvis_v0.5_val_100.detections.json"
KEYS = ["AP", "AP50", "AP75", "APr", "APc", "APf", "AP1", "AP2", "AP3", "AP4"]


@pytest.fixture(scope="module")
def lvis_case():
    gt, dets = json.loads(GT.read_text()), json.loads(DETS.read_text())
    thresholds, bins = train_bins(LVIS_V05_STATS)
    return gt, dets, bins, len(thresholds) + 1


def replicate(gt, dets, iou_type, counts, bins, num_bins) -> dict:
    """Bootstrap metrics of the resamples ``counts`` (B, I), as plain floats per replicate."""
    matching = match_detections(evaluate_detections(copy.deepcopy(gt), copy.deepcopy(dets), iou_type))
    metrics = bootstrap_metrics(matching, np.asarray(counts), bins, num_bins)
    return {key: values.tolist() for key, values in metrics.items()}


def test_identity_resample_reproduces_the_evaluator_on_real_lvis(lvis_case):
    gt, dets, bins, num_bins = lvis_case
    expected = average_precision(copy.deepcopy(gt), copy.deepcopy(dets), "bbox", bins, num_bins)
    got = replicate(gt, dets, "bbox", np.ones((1, len(gt["images"])), dtype=int), bins, num_bins)
    assert sorted(got) == sorted(KEYS)
    for key in KEYS:
        assert got[key][0] == pytest.approx(expected[key], abs=1e-9), key


def test_identity_resample_reproduces_the_evaluator_with_tied_scores(lvis_case):
    """The real images padded to 300 detections each, low scores rounded to 4 decimals: thousands of
    ties within and across images, whose order (image, then file order) the matching must reproduce."""
    _, _, bins, num_bins = lvis_case
    gt, dets = padded_lvis_case()
    expected = average_precision(gt, dets, "bbox", bins, num_bins)
    got = replicate(gt, dets, "bbox", np.ones((1, len(gt["images"])), dtype=int), bins, num_bins)
    for key in KEYS:
        assert got[key][0] == pytest.approx(expected[key], abs=1e-9), key


def duplicated(gt: dict, dets: list, counts: np.ndarray) -> tuple[dict, list]:
    """The val set a resample stands for: image i copied counts[i] times (copy c of image id n gets id
    100 n + c, so copies sit next to their original in the evaluator's image order)."""
    ids = sorted(image["id"] for image in gt["images"])
    times = dict(zip(ids, counts.tolist()))
    out = {**gt, "images": [], "annotations": []}
    for image in gt["images"]:
        out["images"] += [{**image, "id": 100 * image["id"] + c} for c in range(times[image["id"]])]
    for ann in gt["annotations"]:
        out["annotations"] += [{**ann, "id": 100 * ann["id"] + c, "image_id": 100 * ann["image_id"] + c}
                               for c in range(times[ann["image_id"]])]
    copies = [{**det, "image_id": 100 * det["image_id"] + c} for det in dets for c in range(times[det["image_id"]])]
    return out, copies


def test_resample_equals_the_evaluator_on_the_duplicated_val_set(lvis_case):
    """A replicate (images dropped, doubled, tripled) gives what the evaluator gives on the val set with
    those images really copied: LVIS federated rules, weighted positives and the interpolation at once."""
    gt, dets, bins, num_bins = lvis_case
    counts = resample_counts([image["id"] for image in gt["images"]], 3, seed=7)
    assert (counts == 0).any() and (counts >= 2).any()
    got = replicate(gt, dets, "bbox", counts, bins, num_bins)
    for b in range(3):
        expected = average_precision(*duplicated(gt, dets, counts[b]), "bbox", bins, num_bins)
        for key in KEYS:
            assert got[key][b] == pytest.approx(expected[key], abs=1e-9), (b, key)


def random_coco_case(seed: int) -> tuple[dict, list]:
    """12 COCO images, 3 categories, crowd regions, near-duplicate detections and background ones."""
    rng = np.random.default_rng(seed)
    gt = {"images": [{"id": i, "width": 200, "height": 200} for i in range(1, 13)],
          "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)], "annotations": []}
    dets = []
    for image in range(1, 13):
        for _ in range(rng.integers(0, 5)):
            x, y, w, h = *rng.uniform(0, 120, 2), *rng.uniform(8, 70, 2)
            category, crowd = int(rng.integers(1, 4)), int(rng.random() < 0.15)
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": image, "category_id": category,
                                      "bbox": [x, y, w, h], "area": w * h, "iscrowd": crowd})
            for _ in range(rng.integers(0, 4)):
                jitter = rng.normal(0, 0.15, 4) * [w, h, w, h]
                dets.append({"image_id": image, "category_id": category, "score": float(rng.random()),
                             "bbox": [x + jitter[0], y + jitter[1], abs(w + jitter[2]), abs(h + jitter[3])]})
        for _ in range(rng.integers(0, 6)):
            dets.append({"image_id": image, "category_id": int(rng.integers(1, 4)), "score": float(rng.random()),
                         "bbox": [*rng.uniform(0, 150, 2).tolist(), *rng.uniform(5, 50, 2).tolist()]})
    return gt, dets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coco_crowds_identity_and_duplicated_val_set(seed):
    gt, dets = random_coco_case(seed)
    bins = {1: 1, 2: 1, 3: 2}
    counts = np.vstack([np.ones(12, dtype=int), resample_counts(range(1, 13), 2, seed)])
    got = replicate(gt, dets, "bbox", counts, bins, 2)
    for b in range(3):
        expected = average_precision(*duplicated(gt, dets, counts[b]), "bbox", bins, 2)
        for key in ("AP", "AP50", "AP75", "AP1", "AP2"):
            assert got[key][b] == pytest.approx(expected[key], abs=1e-9), (b, key)


def box(x, y, w, h, category, image, score=None, **extra):
    entry = {"image_id": image, "category_id": category, "bbox": [x, y, w, h], **extra}
    return entry | ({"score": score} if score is not None else {"area": w * h, "iscrowd": 0})


# Hand case (COCO): 3 images, 2 categories, every box exact or disjoint (same outcome at every IoU).
#   image 1: cat 1 GT A, det a1 0.90 TP | cat 2 GT B, det b1 0.80 FP, det b2 0.70 TP
#   image 2: cat 1 GT C, det c1 0.97 FP, det c2 0.60 TP
#   image 3: cat 1 no GT, det e1 0.95 FP | cat 2 GT D, no det
def hand_case():
    gt = {"images": [{"id": i, "width": 100, "height": 100} for i in (1, 2, 3)],
          "categories": [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}],
          "annotations": [box(10, 10, 20, 20, 1, 1), box(50, 50, 20, 20, 2, 1), box(10, 10, 30, 30, 1, 2),
                          box(60, 60, 20, 20, 2, 3)]}
    for n, ann in enumerate(gt["annotations"], 1):
        ann["id"] = n
    dets = [box(10, 10, 20, 20, 1, 1, 0.90), box(0, 80, 10, 10, 2, 1, 0.80), box(50, 50, 20, 20, 2, 1, 0.70),
            box(60, 0, 10, 10, 1, 2, 0.97), box(10, 10, 30, 30, 1, 2, 0.60), box(0, 0, 10, 10, 1, 3, 0.95)]
    return gt, dets


def test_hand_computed_resamples():
    gt, dets = hand_case()
    counts = [[1, 1, 1],   # all:  cat 1: c1 FP, e1 FP, a1 TP (1/3 at recall 1/2), c2 TP (2/4 at 1) -> 1/2
                           #       cat 2: b1 FP, b2 TP -> precision 1/2 up to recall 1/2: 51 of 101 points
              [2, 0, 1],   # image 1 twice, image 2 dropped: cat 1 (2 positives): e1 FP x1, a1 TP x2 -> 2/3
                           #       cat 2 (B twice, D once: 3): b1 FP x2, b2 TP x2 -> 1/2 up to recall 2/3: 67 points
              [0, 3, 0]]   # only image 2: cat 1: c1 FP x3, c2 TP x3 -> 1/2; cat 2 has no GT -> left out
    got = replicate(gt, dets, "bbox", counts, {1: 1, 2: 2}, 2)
    cat2 = [0.5 * 51 / 101, 0.5 * 67 / 101, -1.0]
    assert got["AP1"] == pytest.approx([0.5, 2 / 3, 0.5])
    assert got["AP2"] == pytest.approx(cat2)  # an empty bin is -1
    expected_ap = [(0.5 + cat2[0]) / 2, (2 / 3 + cat2[1]) / 2, 0.5]
    for key in ("AP", "AP50", "AP75"):
        assert got[key] == pytest.approx(expected_ap), key
    assert "APr" not in got  # COCO ground truth: no frequency groups
    evaluator = average_precision(*hand_case(), "bbox", {1: 1, 2: 2}, 2)
    assert evaluator["AP"] == pytest.approx(expected_ap[0]) and evaluator["AP2"] == pytest.approx(cat2[0])


def test_matching_rules_of_one_image():
    # detections in score order x GT 0, GT 1 (non-ignored), GT 2 (ignored); thresholds 0.5, 0.6, 0.7, 0.95
    ious = np.array([[0.6, 0.9, 0.0],    # the highest IoU wins: GT 1 up to 0.9
                     [0.6, 0.9, 0.7],    # GT 1 taken: GT 0 up to 0.6, then the ignored GT 2 (non-ignored first)
                     [0.95, 0.0, 0.0]])  # GT 0 once it is still free
    state = match_image(ious, np.array([False, False, True]), np.zeros(3, dtype=bool), [0.5, 0.6, 0.7, 0.95])
    assert state.tolist() == [[1, 1, 0], [1, 1, 0], [1, 2, 1], [0, 0, 1]]  # 1 matched, 2 matched ignored
    ties = np.array([[0.8, 0.8], [0.0, 0.8]])  # equal IoU: the later GT, so the second detection finds none
    assert match_image(ties, np.zeros(2, dtype=bool), np.zeros(2, dtype=bool), [0.5]).tolist() == [[1, 0]]
    one = np.array([[0.6], [0.7]])  # a crowd region is taken by every detection, an ignored box only once
    assert match_image(one, np.array([True]), np.array([True]), [0.5]).tolist() == [[2, 2]]
    assert match_image(one, np.array([True]), np.array([False]), [0.5]).tolist() == [[2, 0]]


def test_resamples_are_deterministic_and_paired():
    ids = [42, 7, 19, 3, 11]
    counts = resample_counts(ids, 50, seed=3)
    assert counts.shape == (50, 5) and counts.dtype.kind == "i" and (counts.sum(axis=1) == 5).all()
    assert (resample_counts(list(reversed(ids)), 50, seed=3) == counts).all()  # columns: sorted ids
    assert not (resample_counts(ids, 50, seed=4) == counts).all()
    assert image_ids_digest(ids) == image_ids_digest(sorted(ids)) != image_ids_digest(ids[:4])
    with pytest.raises(ValueError, match="replicates"):
        resample_counts(ids, 0, seed=0)


def test_replicates_are_computed_independently(monkeypatch):
    """Replicates computed together, in blocks of one, or alone agree; a replicate without GT of a category
    leaves it undefined (-1) for every run evaluated on the same val set."""
    import harness.eval.bootstrap as bootstrap

    gt, dets = hand_case()
    reversed_ranking = [det | {"score": 1 - det["score"]} for det in dets]
    counts = resample_counts([1, 2, 3], 20, seed=0)
    together = replicate(gt, dets, "bbox", counts, {1: 1, 2: 2}, 2)
    monkeypatch.setattr(bootstrap, "BLOCK_ELEMENTS", 1)
    assert replicate(gt, dets, "bbox", counts, {1: 1, 2: 2}, 2) == together
    assert replicate(gt, dets, "bbox", counts[5:6], {1: 1, 2: 2}, 2)["AP"] == together["AP"][5:6]
    other = replicate(gt, reversed_ranking, "bbox", counts, {1: 1, 2: 2}, 2)
    assert [v == -1 for v in other["AP2"]] == [v == -1 for v in together["AP2"]] == list(counts[:, [0, 2]].sum(1) == 0)


def rle_square(x, y, size):
    from pycocotools import mask

    grid = np.zeros((100, 100), dtype=np.uint8, order="F")
    grid[y:y + size, x:x + size] = 1
    return {"size": [100, 100], "counts": mask.encode(grid)["counts"].decode()}


def test_mask_path_uses_mask_ious():
    """Boxes cover the whole image (bbox IoU 0.04), masks are exact or disjoint: only segm matches.
    image 1: GT square, det m1 0.9 disjoint mask (FP), det m2 0.8 exact (TP); image 2: GT, det m3 0.7 TP."""
    square = [[10, 10, 30, 10, 30, 30, 10, 30]]
    gt = {"images": [{"id": i, "width": 100, "height": 100} for i in (1, 2)],
          "categories": [{"id": 1, "name": "one"}],
          "annotations": [{"id": i, "image_id": i, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400,
                           "iscrowd": 0, "segmentation": square} for i in (1, 2)]}
    full = [0, 0, 100, 100]
    dets = [{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": full, "segmentation": rle_square(60, 60, 20)},
            {"image_id": 1, "category_id": 1, "score": 0.8, "bbox": full, "segmentation": rle_square(10, 10, 20)},
            {"image_id": 2, "category_id": 1, "score": 0.7, "bbox": full, "segmentation": rle_square(10, 10, 20)}]
    counts = [[1, 1],   # FP, TP (1/2 at recall 1/2), TP (2/3 at 1) -> 2/3 everywhere
              [2, 0],   # FP x2, TP x2 -> 1/2
              [0, 2]]   # TP x2 -> 1
    got = replicate(gt, dets, "segm", counts, {1: 1}, 1)
    assert got["AP"] == pytest.approx([2 / 3, 1 / 2, 1]) and got["AP1"] == got["AP"]
    evaluator = average_precision(copy.deepcopy(gt), copy.deepcopy(dets), "segm", {1: 1}, 1)
    assert evaluator["AP"] == pytest.approx(2 / 3)
    assert replicate(gt, dets, "bbox", counts, {1: 1}, 1)["AP"] == [0.0, 0.0, 0.0]  # boxes never match


def test_stage_writes_the_bootstrap_beside_the_metrics(write_json, tmp_path):
    gt, dets = hand_case()
    gt_path, dets_path = write_json("gt.json", gt), write_json("dets.json", dets)
    train = write_json("train.json", {"info": {"bin_thresholds": [10]}, "categories": [
        {"id": 1, "instance_count": 3}, {"id": 2, "instance_count": 50}]})
    out, boot = tmp_path / "metrics.json", tmp_path / "bootstrap.json"
    args = ["evaluate", "--gt", str(gt_path), "--dets", str(dets_path), "--train-stats", str(train), "--out", str(out)]
    result = run_harness(*args, "--bootstrap", str(boot), "--replicates", "5", "--bootstrap-seed", "3")
    assert result.returncode == 0, result.stderr
    payload = json.loads(boot.read_text())
    assert {k: payload[k] for k in ("replicates", "seed", "num_images")} == {"replicates": 5, "seed": 3, "num_images": 3}
    assert payload["image_ids_sha256"] == image_ids_digest([1, 2, 3])
    assert sorted(payload["metrics"]) == ["AP", "AP1", "AP2", "AP50", "AP75"]
    expected = replicate(gt, dets, "bbox", resample_counts([1, 2, 3], 5, 3), {1: 1, 2: 2}, 2)
    assert payload["metrics"] == pytest.approx(expected)
    assert json.loads(out.read_text())["AP"] == pytest.approx((0.5 + 0.5 * 51 / 101) / 2)
    assert not list(tmp_path.glob(".*.tmp"))


def test_stage_bootstraps_masks_with_the_suffix(write_json, tmp_path):
    gt = {"images": [{"id": 1, "width": 100, "height": 100}], "categories": [{"id": 1, "name": "one"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400,
                           "iscrowd": 0, "segmentation": [[10, 10, 30, 10, 30, 30, 10, 30]]}]}
    dets = [{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [10, 10, 20, 20],
             "segmentation": rle_square(10, 10, 20)}]
    boot = tmp_path / "bootstrap.json"
    result = run_harness("evaluate", "--gt", str(write_json("gt.json", gt)), "--dets", str(write_json("d.json", dets)),
                         "--thresholds", "10", "--out", str(tmp_path / "m.json"), "--bootstrap", str(boot),
                         "--replicates", "2")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(boot.read_text())["metrics"]
    assert metrics["AP_mask"] == [1.0, 1.0] and metrics["AP1_mask"] == [1.0, 1.0] and metrics["AP"] == [1.0, 1.0]
    assert metrics["AP2_mask"] == [-1.0, -1.0]  # empty bin


def test_stage_rejects_zero_replicates(write_json, tmp_path):
    gt, dets = hand_case()
    result = run_harness("evaluate", "--gt", str(write_json("gt.json", gt)), "--dets", str(write_json("d.json", dets)),
                         "--out", str(tmp_path / "m.json"), "--bootstrap", str(tmp_path / "b.json"), "--replicates", "0")
    assert result.returncode == 2 and "--replicates: must be >= 1, got 0" in result.stderr
    assert not (tmp_path / "m.json").exists() and not (tmp_path / "b.json").exists()


@pytest.mark.parametrize("block, field", [({"bootstrap_replicates": 0}, "evaluation.bootstrap_replicates"),
                                          ({"bootstrap_seed": -1}, "evaluation.bootstrap_seed"),
                                          ({"bootstrap_seed": 1.5}, "evaluation.bootstrap_seed"),
                                          ({"replicates": 10}, "evaluation")])
def test_profile_evaluation_block_is_optional_and_checked(block, field):
    import yaml

    from harness.config import validate_config
    from harness.errors import InputError

    profile = yaml.safe_load((REPO / "configs" / "profiles" / "smoke.yaml").read_text())
    profile.pop("evaluation", None)
    validate_config(profile, "smoke.yaml")  # without the block: defaults 200 replicates, seed 0
    validate_config({**profile, "evaluation": {"bootstrap_replicates": 50, "bootstrap_seed": 2}}, "smoke.yaml")
    with pytest.raises(InputError, match=rf"field '{field}'"):
        validate_config({**profile, "evaluation": block}, "smoke.yaml")
