"""Stage `evaluate`: equality with the official lvis-api, hand-computed AP bins and ACC, bad input."""

import importlib.util
import json

import numpy as np
import pytest

from conftest import LVIS_V05_STATS, REPO, run_harness
from harness.eval.ap import bin_average_precision, evaluate_detections, per_category_ap, summary_metrics
from harness.eval.bins import train_bins
from harness.eval.proposal_accuracy import accuracy, assign_labels

CASE = REPO / "tests" / "fixtures" / "eval_case"
GT, DETS = CASE / "lvis_v0.5_val_100.json", CASE / "lvis_v0.5_val_100.detections.json"
# lvis-api's metrics and per-category AP on the real case and on it padded to 300 detections per image,
# written by `workflow/scripts/benchmark_evaluator.py --write-engine-reference`
ENGINE_REFERENCE = CASE / "lvis_v0.5_val_100.reference_engine.json"
BENCHMARK = REPO / "workflow" / "scripts" / "benchmark_evaluator.py"
LVIS_API_KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
                 "AR@300", "ARs@300", "ARm@300", "ARl@300"]


def evaluate(tmp_path, *args):
    out = tmp_path / "metrics.json"
    result = run_harness("evaluate", *args, "--out", str(out))
    return result, (json.loads(out.read_text()) if out.exists() else None)


def test_equals_official_lvis_api_on_real_lvis_case(tmp_path):
    reference = json.loads((CASE / "lvis_v0.5_val_100.reference_metrics.json").read_text())
    result, metrics = evaluate(tmp_path, "--gt", str(GT), "--dets", str(DETS), "--train-stats", str(LVIS_V05_STATS),
                               "--keep-degenerate-boxes")
    assert result.returncode == 0, result.stderr
    assert set(LVIS_API_KEYS) | {"AP1", "AP2", "AP3", "AP4"} <= set(reference)
    for key, value in reference.items():
        assert metrics[key] == pytest.approx(value, abs=1e-6), key
    per_category = metrics["per_category"]["bbox"]
    assert len(per_category) == len(json.loads(GT.read_text())["categories"])  # every category, -1 if not in val
    evaluated = [ap for ap in per_category.values() if ap != -1]
    assert np.mean(evaluated) == pytest.approx(metrics["AP"], abs=1e-12)


def padded_lvis_case() -> tuple[dict, list]:
    """The real case's 100 images, each padded to 300 detections with low scores rounded to 4 decimals
    (many ties), seed 0: the benchmark's big case at 100 images."""
    spec = importlib.util.spec_from_file_location("benchmark_evaluator", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    return benchmark.padded_case(100, 300, 0)


@pytest.mark.parametrize("case", ["real", "padded"])
def test_engine_numbers_do_not_drift_from_lvis_api(case):
    """The evaluation engine's per-category AP and every metric (AP1..AP4 included) equal lvis-api's
    stored numbers: an engine upgrade or swap that changes any of them fails here."""
    reference = json.loads(ENGINE_REFERENCE.read_text())[case]
    gt, dets = (json.loads(GT.read_text()), json.loads(DETS.read_text())) if case == "real" else padded_lvis_case()
    assert case == "real" or len(dets) == 300 * len(gt["images"])
    thresholds, bins = train_bins(LVIS_V05_STATS)
    evaluation = evaluate_detections(gt, dets, "bbox")
    category_ap = per_category_ap(evaluation.evaluator.eval["precision"], list(evaluation.evaluator.params.cat_ids))
    assert sorted(category_ap) == sorted(int(cid) for cid in reference["category_ap"])
    for cid, ap in reference["category_ap"].items():
        assert category_ap[int(cid)] == pytest.approx(ap, abs=1e-6), cid
    metrics = summary_metrics(evaluation, bins, len(thresholds) + 1)
    assert set(metrics) == set(reference["metrics"])
    for key, value in reference["metrics"].items():
        assert metrics[key] == pytest.approx(value, abs=1e-6), key


def test_negative_box_sizes_are_an_error_by_default(tmp_path):
    result, metrics = evaluate(tmp_path, "--gt", str(GT), "--dets", str(DETS))
    assert result.returncode == 2 and metrics is None
    assert "field '[255].bbox': negative width or height" in result.stderr


# Hand-computable COCO case: 2 images; category 1: one GT, one exact detection (AP 1);
# category 2: two GTs, one exact detection (recall 1/2 at precision 1 -> AP 51/101);
# category 3: one GT, no detection (AP 0); category 4: no GT (skipped).
def hand_case(write_json):
    gt = {"images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
          "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3, 4)],
          "annotations": [
              {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
              {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 0},
              {"id": 3, "image_id": 2, "category_id": 2, "bbox": [10, 10, 30, 30], "area": 900, "iscrowd": 0},
              {"id": 4, "image_id": 2, "category_id": 3, "bbox": [60, 60, 20, 20], "area": 400, "iscrowd": 0}]}
    dets = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
            {"image_id": 1, "category_id": 2, "bbox": [50, 50, 20, 20], "score": 0.8}]
    # train counts: categories 1, 2 in bin 1 (< 10), 3, 4 in bin 2
    train = {"info": {"bin_thresholds": [10]}, "categories": [
        {"id": 1, "instance_count": 3}, {"id": 2, "instance_count": 5},
        {"id": 3, "instance_count": 50}, {"id": 4, "instance_count": 70}]}
    return write_json("gt.json", gt), write_json("dets.json", dets), write_json("train.json", train)


def test_bin_aps_on_hand_case(write_json, tmp_path):
    gt, dets, train = hand_case(write_json)
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--train-stats", str(train))
    assert result.returncode == 0, result.stderr
    assert metrics["thresholds"] == [10]
    assert metrics["AP1"] == pytest.approx((1 + 51 / 101) / 2)
    assert metrics["AP2"] == pytest.approx(0.0) and metrics["num_cats_bin2"] == 1  # category 4 has no GT
    assert metrics["AP"] == pytest.approx((1 + 51 / 101 + 0) / 3)
    assert "APr" not in metrics  # COCO ground truth has no r/c/f
    assert metrics["AR@300"] == pytest.approx((1 + 0.5 + 0) / 3)  # recall 1, 1/2, 0
    assert "run" not in metrics  # run by hand, without --run


def test_per_category_ap_on_hand_case(write_json, tmp_path):
    """Each category's AP under "per_category" (-1: no val instance); their mean is AP, and aggregate
    does not take the nested object for a metric."""
    from harness.report.aggregate import collect_metrics

    gt, dets, train = hand_case(write_json)
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--train-stats", str(train),
                               "--run", "lvis/faster_r50/baseline/0")
    assert result.returncode == 0, result.stderr
    per_category = metrics["per_category"]
    assert list(per_category) == ["bbox"] and list(per_category["bbox"]) == ["1", "2", "3", "4"]
    assert per_category["bbox"] == pytest.approx({"1": 1.0, "2": 51 / 101, "3": 0.0, "4": -1.0})
    evaluated = [ap for ap in per_category["bbox"].values() if ap != -1]
    assert sum(evaluated) / len(evaluated) == pytest.approx(metrics["AP"])
    tidy = collect_metrics([tmp_path / "metrics.json"])
    assert set(tidy.metric) == {key for key, value in metrics.items()
                                if isinstance(value, float) and value != -1 and key != "thresholds"}


def test_run_identity_lands_in_metrics_and_bootstrap(write_json, tmp_path):
    """--run is recorded in both outputs, and aggregate takes the run from there."""
    from harness.report.aggregate import collect_metrics, collect_replicates

    gt, dets, train = hand_case(write_json)
    boot = tmp_path / "bootstrap.json"
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--train-stats", str(train),
                               "--bootstrap", str(boot), "--replicates", "2", "--run", "lvis/faster_r50/bags/3")
    assert result.returncode == 0, result.stderr
    run = {"dataset": "lvis", "model": "faster_r50", "run_id": "bags", "seed": 3}
    assert metrics["run"] == run and json.loads(boot.read_text())["run"] == run
    tidy = collect_metrics([tmp_path / "metrics.json"], run_methods={"bags": "bags"})
    assert set(zip(tidy.dataset, tidy.model, tidy.variant, tidy.seed)) == {("lvis", "faster_r50", "bags", 3)}
    assert "AP" in set(tidy.metric) and set(collect_replicates([boot]).seed) == {3}


@pytest.mark.parametrize("value", ["lvis/faster_r50/bags", "lvis/faster_r50/bags/seed3", "lvis/faster r50/bags/3",
                                   "lvis/faster_r50/bags/3/x"])
def test_malformed_run_is_rejected_before_any_work(write_json, tmp_path, value):
    gt, dets, train = hand_case(write_json)
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--run", value)
    assert result.returncode == 2 and metrics is None
    assert f"argument --run: {value!r}: " in result.stderr  # argparse's usage error, with what is wrong


def test_bin_average_precision_skips_categories_without_ground_truth():
    precision = np.full((2, 3, 3, 1, 1), -1.0)
    precision[:, :, 0, 0, 0] = [[1, 1, 0], [1, 0, 0]]  # AP 0.5
    precision[:, :, 1, 0, 0] = 0.25
    metrics = bin_average_precision(precision, [7, 8, 9], {7: 1, 8: 1, 9: 2}, 3)
    assert metrics == {"AP1": pytest.approx(0.375), "num_cats_bin1": 2, "AP2": -1.0, "num_cats_bin2": 0,
                       "AP3": -1.0, "num_cats_bin3": 0}


def test_mask_metrics_carry_the_suffix(write_json, tmp_path):
    gt, _, train = hand_case(write_json)
    data = json.loads(gt.read_text())
    for ann in data["annotations"]:
        x, y, w, h = ann["bbox"]
        ann["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    gt.write_text(json.dumps(data))
    dets = write_json("segm.json", [{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [10, 10, 20, 20],
                                     "segmentation": {"size": [100, 100], "counts": _rle_square(10, 10, 20)}}])
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--train-stats", str(train),
                               "--iou-type", "bbox", "segm")
    assert result.returncode == 0, result.stderr
    assert metrics["AP1_mask"] == pytest.approx(0.5) and metrics["AP1"] == pytest.approx(0.5)
    assert metrics["per_category"]["segm"] == pytest.approx({"1": 1.0, "2": 0.0, "3": 0.0, "4": -1.0})
    assert metrics["per_category"]["bbox"] == metrics["per_category"]["segm"]
    result, auto = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--train-stats", str(train))
    assert auto == metrics  # segmentations in the detections switch the mask metrics on


def _rle_square(x, y, size):
    from pycocotools import mask

    grid = np.zeros((100, 100), dtype=np.uint8, order="F")
    grid[y:y + size, x:x + size] = 1
    return mask.encode(grid)["counts"].decode()


def test_assignment_follows_max_iou_rules():
    gt_boxes = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], dtype=float)
    proposals = np.array([[0, 0, 10, 10],     # IoU 1 with GT 0 -> 5
                          [0, 0, 10, 20],     # IoU 0.5 with GT 0 -> 5
                          [0, 0, 10, 30],     # IoU 1/3 -> background
                          [21, 0, 36, 10]],   # IoU 9/16 < 1 with GT 1, its best -> 7
                         dtype=float)
    assert assign_labels(proposals, gt_boxes, np.array([5, 7])).tolist() == [5, 5, 0, 7]
    assert assign_labels(proposals, np.zeros((0, 4)), np.zeros(0, dtype=int)).tolist() == [0, 0, 0, 0]


def test_accuracy_is_pooled_over_proposals():
    true = np.array([0, 0, 0, 0, 5, 5, 7])
    pred = np.array([0, 0, 0, 5, 5, 0, 7])
    metrics = accuracy(true, pred, {5: 1, 7: 2}, 2)
    assert metrics == {"ACC": pytest.approx(5 / 7), "ACCfg": pytest.approx(2 / 3), "ACCbg": pytest.approx(3 / 4),
                       "ACC1": pytest.approx(1 / 2), "ACC2": pytest.approx(1.0)}


def test_proposals_file_gives_acc(write_json, tmp_path):
    gt, dets, train = hand_case(write_json)
    proposals = tmp_path / "proposals.npz"
    np.savez(proposals, image_ids=np.array([1, 1, 2]), boxes=np.array([[10, 10, 30, 30], [0, 0, 5, 5], [10, 10, 40, 40]]),
             labels=np.array([1, 0, 3]))
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets), "--train-stats", str(train),
                               "--proposals", str(proposals))
    assert result.returncode == 0, result.stderr
    # true labels 1, 0, 2; predicted 1, 0, 3
    assert metrics["ACC"] == pytest.approx(2 / 3) and metrics["ACC1"] == pytest.approx(1 / 2)
    assert metrics["ACCbg"] == 1.0 and metrics["ACC2"] == -1.0


@pytest.mark.parametrize("entry, message", [
    ({"image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}, "field '[0].image_id': 99 is not an image"),
    ({"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1], "score": 1}, "field '[0].category_id': 9 is not a"),
    ({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 1}, "field '[0].bbox': must be [x, y, w, h]"),
    ({"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}, "field '[0].score': missing"),
])
def test_bad_detections_are_named(write_json, tmp_path, entry, message):
    gt, _, train = hand_case(write_json)
    dets = write_json("bad.json", [entry])
    result, metrics = evaluate(tmp_path, "--gt", str(gt), "--dets", str(dets))
    assert result.returncode == 2 and message in result.stderr and metrics is None


def test_malformed_detection_file(write_json, tmp_path):
    gt, _, _ = hand_case(write_json)
    bad = tmp_path / "broken.json"
    bad.write_text("[{")
    result, _ = evaluate(tmp_path, "--gt", str(gt), "--dets", str(bad))
    assert result.returncode == 2 and "broken.json: malformed JSON" in result.stderr


def test_predicted_masks_become_rles_the_evaluator_reads():
    from pycocotools import mask as mask_utils

    from harness.engine.predict import _rle

    grid = np.zeros((6, 5), dtype=bool)
    grid[1:4, 2:5] = True
    rle = _rle(grid)
    assert rle["size"] == [6, 5] and isinstance(rle["counts"], str)
    assert mask_utils.area({"size": rle["size"], "counts": rle["counts"].encode()}) == 9
