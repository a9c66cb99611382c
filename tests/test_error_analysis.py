"""Error analysis by bin (harness.eval.errors, harness.report.errors): hand-computed TIDE types and dAPs,
LVIS's federated rules, agreement with hotcoco's tide_errors over all categories, the evaluate stage's
``errors_by_bin`` and the report fragment with and without it."""

import base64
import copy
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import LVIS_V05_STATS, REPO, run_harness
from harness.eval.ap import evaluate_detections, per_category_ap
from harness.eval.bins import train_bins
from harness.eval.errors import ERROR_TYPES, category_errors, error_analysis
from harness.report.errors import error_analysis_part, error_table, reading_sentence

CASE = REPO / "tests" / "fixtures" / "eval_case"
GT, DETS = CASE / "lvis_v0.5_val_100.json", CASE / "lvis_v0.5_val_100.detections.json"


def box(category, image, bbox, score=None, ann_id=None):
    """A detection (with ``score``) or a ground truth (with ``ann_id``)."""
    entry = {"image_id": image, "category_id": category, "bbox": bbox}
    if ann_id is None:
        return {**entry, "score": score}
    return {**entry, "id": ann_id, "area": bbox[2] * bbox[3], "iscrowd": 0}


A, B, FAR = [10, 10, 20, 20], [50, 50, 20, 20], [85, 0, 10, 10]
SHIFTED = [20, 10, 20, 20]   # IoU 1/3 with A
D = [60, 60, 20, 20]
# Categories 1, 2 are the tail (bin 1), 3, 4 the head (bin 2).
HAND_GT = {
    "images": [{"id": i, "width": 100, "height": 100} for i in (1, 2, 3)],
    "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3, 4)],
    "annotations": [box(1, 1, A, ann_id=1), box(3, 1, B, ann_id=2),      # image 1: tail a, head b
                    box(2, 2, A, ann_id=3), box(4, 2, D, ann_id=4),      # image 2: tail c, head d
                    box(3, 3, A, ann_id=5), box(4, 3, D, ann_id=6)]}     # image 3: head e, head f
HAND_DETS = [
    box(3, 1, A, 0.9),        # head class on tail GT a: Cls (fixed: a TP of category 1)
    box(3, 1, B, 0.8),        # TP of b
    box(3, 1, B, 0.7),        # Dupe of b
    box(2, 2, SHIFTED, 0.6),  # right class, IoU 1/3 with c: Loc (fixed: a TP)
    box(4, 2, D, 0.95),       # TP of d
    box(4, 2, FAR, 0.99),     # far from every GT: Bkg
    box(3, 3, A, 0.6),        # TP of e
    box(2, 3, SHIFTED, 0.3),  # class 2, IoU 1/3 with e of class 3 only: Both
]                             # f (image 3) is never found: Miss
HAND_BINS = {1: 1, 2: 1, 3: 2, 4: 2}


def hand_evaluation(gt=HAND_GT, dets=HAND_DETS, iou_type="bbox"):
    return evaluate_detections(copy.deepcopy(gt), copy.deepcopy(dets), iou_type)


# Hand-computed AP at IoU 0.5 (101 recall points) per category, before and after each fix:
#   1: no detection, AP 0; Cls moves the 0.9 detection here as a TP -> 1.
#   2: FPs 0.6 (Loc), 0.3 (Both), AP 0; Loc makes the 0.6 one a TP -> 1; removing Both changes nothing.
#   3: FP 0.9 (Cls), TP 0.8, FP 0.7 (Dupe), TP 0.6 of 2 GTs: precision 1/2 at recall 1/2 and 1, AP 1/2;
#      without the Cls error: 1 at 1/2, 2/3 at 1 -> (51 + 50 * 2/3) / 101 = 253/303; without the Dupe: 2/3.
#   4: FP 0.99 (Bkg), TP 0.95 of 2 GTs, f missed: AP 0.5 * 51/101; without the Bkg: 51/101; with f found
#      above everything: 1 at 1/2, 2/3 at 1 -> 253/303.
BASE = {1: 0.0, 2: 0.0, 3: 0.5, 4: 25.5 / 101}
FIXED = {"Cls": {1: 1.0, 3: 253 / 303}, "Loc": {2: 1.0}, "Dupe": {3: 2 / 3}, "Bkg": {4: 51 / 101},
         "Miss": {4: 253 / 303}, "Both": {}}


def hand_delta(name: str, categories) -> float:
    return float(np.mean([FIXED[name].get(c, BASE[c]) - BASE[c] for c in categories]))


def test_error_types_and_counts_by_bin_on_hand_case():
    bins = error_analysis(hand_evaluation(), HAND_BINS, 2)["bins"]
    assert list(bins) == ["1", "2", "all"]
    # tail: its GT a found only by the head class, c only at IoU 1/3; the Loc and Both FPs are tail class
    assert bins["1"]["counts"] == {"GT": 2, "TP": 0, "GT_Cls": 1, "GT_Loc": 1, "Cls": 0, "Loc": 1, "Both": 1,
                                   "Dupe": 0, "Bkg": 0, "Miss": 0}
    # head: the wrong-class detection is a head-class FP; b is found twice, f never
    assert bins["2"]["counts"] == {"GT": 4, "TP": 3, "GT_Cls": 0, "GT_Loc": 0, "Cls": 1, "Loc": 0, "Both": 0,
                                   "Dupe": 1, "Bkg": 1, "Miss": 1}
    assert bins["all"]["counts"]["GT"] == 6 and bins["all"]["counts"]["Cls"] == 1


@pytest.mark.parametrize("name", ERROR_TYPES)
def test_delta_ap_by_bin_equals_hand_computation(name):
    bins = error_analysis(hand_evaluation(), HAND_BINS, 2)["bins"]
    assert bins["1"][name] == pytest.approx(hand_delta(name, [1, 2]), abs=1e-12)
    assert bins["2"][name] == pytest.approx(hand_delta(name, [3, 4]), abs=1e-12)
    assert bins["all"][name] == pytest.approx(hand_delta(name, [1, 2, 3, 4]), abs=1e-12)


def test_wrong_class_on_a_tail_object_is_a_tail_classification_error():
    bins = error_analysis(hand_evaluation(), HAND_BINS, 2)["bins"]
    assert bins["1"]["Cls"] == pytest.approx(0.5)  # category 1 goes from AP 0 to 1: half the bin
    assert bins["1"]["Loc"] == pytest.approx(0.5) and bins["1"]["Miss"] == 0.0
    assert bins["1"]["base_AP"] == 0.0 and bins["2"]["base_AP"] == pytest.approx((0.5 + 25.5 / 101) / 2)
    assert bins["1"]["num_cats"] == bins["2"]["num_cats"] == 2


def test_without_the_wrong_class_detection_the_tail_object_is_missed():
    dets = [det for det in HAND_DETS if det["score"] != 0.9]
    bins = error_analysis(hand_evaluation(dets=dets), HAND_BINS, 2)["bins"]
    assert bins["1"]["Cls"] == 0.0 and bins["1"]["counts"]["Miss"] == 1
    assert bins["1"]["Miss"] == pytest.approx(0.5)  # a missed GT found above everything: AP 0 -> 1


def test_empty_bin_is_minus_one():
    result = error_analysis(hand_evaluation(), {**HAND_BINS, 3: 2, 4: 2}, 3)
    assert result["bins"]["3"]["num_cats"] == 0 and result["bins"]["3"]["Cls"] == -1.0
    assert result["pos_thr"] == 0.5 and result["bg_thr"] == 0.1 and "TIDE" in result["definition"]
    json.dumps(result)  # JSON-able


def test_lvis_federated_rules_decide_what_is_an_error():
    """A detection of a category neither annotated nor negative in the image is not evaluated, an
    unmatched one of a not-exhaustively annotated category is ignored; a negative category's detection on
    another class's object is a classification error."""
    gt = {"images": [{"id": 1, "width": 100, "height": 100, "neg_category_ids": [2],
                      "not_exhaustive_category_ids": [1]},
                     {"id": 2, "width": 100, "height": 100, "neg_category_ids": [], "not_exhaustive_category_ids": []}],
          "categories": [{"id": c, "name": f"c{c}", "frequency": "r"} for c in (1, 2, 3)],
          "annotations": [box(1, 1, A, ann_id=1), box(2, 2, A, ann_id=2), box(3, 2, D, ann_id=3)]}
    dets = [box(1, 1, A, 0.9), box(2, 1, A, 0.8), box(3, 1, A, 0.7), box(1, 1, FAR, 0.6)]
    counts = error_analysis(hand_evaluation(gt, dets), {1: 1, 2: 1, 3: 2}, 2)["bins"]["all"]["counts"]
    assert counts == {"GT": 3, "TP": 1, "GT_Cls": 0, "GT_Loc": 0, "Cls": 1, "Loc": 0, "Both": 0, "Dupe": 0,
                      "Bkg": 0, "Miss": 2}


def test_masks_use_mask_ious():
    """Same boxes, masks that miss the object: the detection is a TP in bbox and background in segm."""
    square = [[10, 10, 30, 10, 30, 30, 10, 30]]
    sliver = [[10, 10, 12, 10, 12, 12, 10, 12]]  # 4 px of a 400 px object
    gt = {**HAND_GT, "annotations": [{**box(1, 1, A, ann_id=1), "segmentation": square}]}
    dets = [{**box(1, 1, A, 0.9), "segmentation": sliver}]
    bins = {c: 1 for c in (1, 2, 3, 4)}
    assert error_analysis(hand_evaluation(gt, dets), bins, 1)["bins"]["1"]["counts"]["TP"] == 1
    segm = error_analysis(hand_evaluation(gt, dets, "segm"), bins, 1)["bins"]["1"]
    assert segm["counts"]["TP"] == 0 and segm["counts"]["Bkg"] == 1 and segm["Miss"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def lvis_evaluation():
    return evaluate_detections(json.loads(GT.read_text()), json.loads(DETS.read_text()), "bbox")


def test_base_ap_is_the_evaluators_ap_at_iou_half(lvis_evaluation):
    evaluator = lvis_evaluation.evaluator
    half = list(np.round(evaluator.params.iou_thrs, 2)).index(0.5)
    expected = per_category_ap(evaluator.eval["precision"][half:half + 1], list(evaluator.params.cat_ids))
    errors = category_errors(lvis_evaluation)
    got = {int(c): ap for c, ap in zip(errors.category_ids, errors.ap) if ap != -1}
    assert sorted(got) == sorted(expected)
    for cid, ap in expected.items():
        assert got[cid] == pytest.approx(ap, abs=1e-12), cid


def test_agrees_with_hotcoco_tide_over_all_categories(lvis_evaluation):
    """hotcoco 1.3.0's tide_errors (all categories only) types the same FPs and misses and gives the same
    dAP for every FP type; Miss differs by definition (hotcoco drops missed GTs from the denominator)."""
    reference = lvis_evaluation.evaluator.tide_errors(pos_thr=0.5, bg_thr=0.1)
    thresholds, bins = train_bins(LVIS_V05_STATS)
    total = error_analysis(lvis_evaluation, bins, len(thresholds) + 1)["bins"]["all"]
    for name in ERROR_TYPES:
        assert total["counts"][name] == reference["counts"][name], name
    for name in ("Cls", "Loc", "Both", "Dupe", "Bkg"):
        assert total[name] == pytest.approx(reference["delta_ap"][name], abs=1e-12), name
    assert total["base_AP"] == pytest.approx(reference["ap_base"], abs=1e-12)
    assert total["Miss"] > reference["delta_ap"]["Miss"]


def test_stage_writes_errors_by_bin_and_keeps_every_metric(tmp_path):
    from harness.report.aggregate import collect_metrics

    out = tmp_path / "metrics.json"
    result = run_harness("evaluate", "--gt", str(GT), "--dets", str(DETS), "--train-stats", str(LVIS_V05_STATS),
                         "--keep-degenerate-boxes", "--run", "lvis/faster_r50/baseline/0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    metrics = json.loads(out.read_text())
    reference = json.loads((CASE / "lvis_v0.5_val_100.reference_metrics.json").read_text())
    for key, value in reference.items():
        assert metrics[key] == pytest.approx(value, abs=1e-6), key
    assert list(metrics["errors_by_bin"]) == ["bbox"]
    bins = metrics["errors_by_bin"]["bbox"]["bins"]
    assert list(bins) == ["1", "2", "3", "4", "all"]
    assert bins["all"]["base_AP"] == pytest.approx(metrics["AP50"], abs=1e-9)
    for k in range(1, 5):
        assert bins[str(k)]["num_cats"] == metrics[f"num_cats_bin{k}"]
        assert set(ERROR_TYPES) <= set(bins[str(k)])
    tidy = collect_metrics([out])  # the nested object is no metric
    assert set(tidy.metric) == {key for key, value in metrics.items()
                                if isinstance(value, float) and value != -1 and key != "thresholds"}


def run_folder(run_id, seed=0, errors=None, dataset="lvis", model="faster_r50"):
    metrics = {"AP": 0.2} if errors is None else {"AP": 0.2, "errors_by_bin": {"bbox": {"bins": errors}}}
    return SimpleNamespace(dataset=dataset, model=model, run=run_id, seed=seed, metrics=metrics)


def bins_with(cls_bin1: float, miss_bin1: float) -> dict:
    zero = dict.fromkeys(ERROR_TYPES, 0.0)
    return {"1": {**zero, "Cls": cls_bin1, "Miss": miss_bin1, "num_cats": 3},
            "2": {**dict.fromkeys(ERROR_TYPES, -1.0), "num_cats": 0},
            "3": {**zero, "Cls": 0.01, "num_cats": 5}, "all": {**zero, "Cls": 0.02, "num_cats": 8}}


def test_report_part_draws_runs_with_errors_and_names_the_others():
    runs = [run_folder("baseline", errors=bins_with(0.2, 0.3)), run_folder("bags", errors=bins_with(0.05, 0.25)),
            run_folder("bags", seed=1, errors=bins_with(0.5, 0.5)), run_folder("x2")]
    part = error_analysis_part(runs)
    assert part.startswith('<figure id="error-analysis">') and "data:image/png;base64," in part
    png = base64.b64decode(re.search(r"base64,([^\"]+)\"", part).group(1))
    assert png.startswith(b"\x89PNG")
    assert "in bin AP1: classification errors cost baseline 20.0 and bags 5.0 AP points" in part
    assert "largest loss there is missed objects (baseline 30.0, bags 25.0)" in part
    assert "not available" not in part and "left out" not in part  # x2 and seed 1 are not chosen


def test_report_part_notes_runs_without_errors_by_bin():
    part = error_analysis_part([run_folder("baseline", errors=bins_with(0.2, 0.1)), run_folder("bags")])
    assert "<figure" in part and "classification errors cost baseline 20.0 AP points" in part
    assert "left out: lvis/faster_r50/bags/0: its metrics.json has no errors_by_bin.bbox" in part
    old = error_analysis_part([run_folder("baseline"), run_folder("bags"), SimpleNamespace(
        dataset="lvis", model="faster_r50", run="bags", seed=0, metrics=None)])
    assert old.startswith('<p class="not-available">') and "<figure" not in old
    assert error_analysis_part([]).startswith('<p class="not-available">')


def test_error_table_skips_empty_bins_and_orders_them():
    table = error_table([run_folder("baseline", errors=bins_with(0.2, 0.1))])
    assert list(dict.fromkeys(table.bin)) == ["AP1", "AP3", "all"]
    assert len(table) == 3 * len(ERROR_TYPES)
    assert reading_sentence(table, ("lvis", "faster_r50"), ["baseline"]).startswith(
        "lvis/faster_r50, in bin AP1: classification errors cost baseline 20.0")
