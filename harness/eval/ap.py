"""LVIS / COCO average precision through faster-coco-eval, plus the bin APs AP1..APk.

faster-coco-eval (C++ core) in ``lvis_style`` reproduces the official lvis-api numbers exactly
(tests/test_evaluate.py checks every key to 1e-6 on 100 real LVIS v0.5 val images) and is faster than
lvis 0.5.3's evaluator, which moreover crashes on numpy >= 1.24 (``np.float``).
"""

import numpy as np
from faster_coco_eval import COCO, COCOeval_faster

from harness.eval.detections import MAX_DETS_PER_IMAGE, limit_per_image

# faster-coco-eval summary key -> lvis-api key
SUMMARY_KEYS = {
    "AP_all": "AP", "AP_50": "AP50", "AP_75": "AP75", "AP_small": "APs", "AP_medium": "APm",
    "AP_large": "APl", "APr": "APr", "APc": "APc", "APf": "APf", "AR_all": "AR@300", "AR_300": "AR@300",
    "AR_small": "ARs@300", "AR_medium": "ARm@300", "AR_large": "ARl@300",
}


def is_lvis(gt: dict) -> bool:
    """LVIS ground truth carries the federated image fields."""
    return bool(gt["images"]) and "neg_category_ids" in gt["images"][0]


def average_precision(gt: dict, dets: list[dict], iou_type: str, category_bins: dict[int, int],
                      num_bins: int) -> dict:
    """LVIS-api-keyed AP/AR (fractions) plus AP1..APk and the number of categories behind each.

    Args:
        gt: LVIS or COCO ground truth (dict).
        dets: detections; at most 300 per image are kept, as lvis-api does.
        iou_type: "bbox" or "segm".
        category_bins: category id -> 1-based train-count bin.
        num_bins: number of bins (len(thresholds) + 1); every AP_k key is written, -1 if empty.
    """
    return summary_metrics(evaluate_detections(gt, dets, iou_type), category_bins, num_bins)


def evaluate_detections(gt: dict, dets: list[dict], iou_type: str) -> COCOeval_faster:
    """The evaluated faster-coco-eval object of ``dets`` (top 300 per image), for summary_metrics and
    the bootstrap's matching (harness.eval.bootstrap.match_detections)."""
    return _run(gt, limit_per_image(dets), iou_type)


def summary_metrics(cocoeval: COCOeval_faster, category_bins: dict[int, int], num_bins: int) -> dict:
    """The keys of :func:`average_precision` from an evaluated faster-coco-eval object."""
    stats = cocoeval.stats_as_dict
    metrics = {key: float(stats[name]) for name, key in SUMMARY_KEYS.items() if name in stats}
    metrics.update(bin_average_precision(cocoeval.eval["precision"], list(cocoeval.params.catIds), category_bins,
                                         num_bins))
    return metrics


def _run(gt: dict, dets: list[dict], iou_type: str) -> COCOeval_faster:
    ground_truth = COCO(gt)
    results = ground_truth.loadRes(dets) if dets else _empty_results(ground_truth)
    cocoeval = COCOeval_faster(ground_truth, results, iou_type, lvis_style=is_lvis(gt), print_function=lambda *a: None)
    cocoeval.params.maxDets = [MAX_DETS_PER_IMAGE]
    cocoeval.evaluate()
    cocoeval.accumulate()
    cocoeval.summarize()
    return cocoeval


def _empty_results(ground_truth: COCO) -> COCO:
    empty = COCO()
    empty.dataset = {"images": ground_truth.dataset["images"], "categories": ground_truth.dataset["categories"],
                     "annotations": []}
    empty.createIndex()
    return empty


def bin_average_precision(precision: np.ndarray, category_ids: list[int], category_bins: dict[int, int],
                          num_bins: int) -> dict:
    """AP_k = unweighted mean over the categories of bin k of their AP (bags-reference.md 5.2).

    Args:
        precision: (T IoUs, R recalls, K categories, A areas, M max-dets) from accumulate(); -1 = no GT.
        category_ids: (K,) category id of each precision column.
        category_bins: category id -> 1-based bin.

    A category's AP is the mean of its entries > -1 at area "all" and the largest max-dets; categories
    without such entries (absent from val) are skipped. An empty bin gives AP_k = -1 (lvis-api's value
    for "undefined").
    """
    per_bin: dict[int, list[float]] = {k: [] for k in range(1, num_bins + 1)}
    for column, cid in enumerate(category_ids):
        values = precision[:, :, column, 0, -1]
        values = values[values > -1]
        if values.size:
            per_bin[category_bins[int(cid)]].append(float(values.mean()))
    metrics = {}
    for k, aps in per_bin.items():
        metrics[f"AP{k}"] = float(np.mean(aps)) if aps else -1.0
        metrics[f"num_cats_bin{k}"] = len(aps)
    return metrics
