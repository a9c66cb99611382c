"""LVIS / COCO average precision through hotcoco, plus the bin APs AP1..APk.

hotcoco (Rust core) in ``lvis_style`` reproduces the official lvis-api numbers exactly: every key,
AP1..APk included, agrees to 1e-6 (measured: < 1e-16) on the 100 real LVIS v0.5 val images of
tests/fixtures/eval_case and on a 5,000-image case with 300 detections per image, where it is about 60
times faster than lvis 0.5.3 (workflow/scripts/benchmark_evaluator.py; faster-coco-eval, the previous
engine, is about 3 times faster). lvis 0.5.3's own evaluator moreover crashes on numpy >= 1.24 (``np.float``).
"""

import contextlib
import io
import warnings
from dataclasses import dataclass

import hotcoco
import numpy as np

from harness.eval.detections import MAX_DETS_PER_IMAGE, limit_per_image
from harness.validate import lvis_format

AREA_SUFFIX = {"all": "", "small": "s", "medium": "m", "large": "l"}  # lvis-api's AR key of an area range


@dataclass
class Evaluation:
    """One evaluated case: hotcoco's evaluator (after summarize) and the inputs it was given.

    ``dets`` are the evaluated detections (the top 300 of every image) in the order hotcoco numbered
    them: detection ``dets[n]`` has id n + 1. harness.eval.bootstrap.match_detections reads all of it.
    """
    evaluator: hotcoco.COCOeval
    gt: dict
    dets: list[dict]
    iou_type: str
    lvis: bool


def is_lvis(gt: dict, source: str = "ground truth") -> bool:
    """LVIS ground truth carries the federated image fields on every image, COCO on none; a file with
    them on some images only is an error (:func:`harness.validate.lvis_format`), never silently COCO."""
    return lvis_format(gt, source)


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


def evaluate_detections(gt: dict, dets: list[dict], iou_type: str) -> Evaluation:
    """The evaluation of ``dets`` (top 300 per image), for summary_metrics and the bootstrap's matching
    (harness.eval.bootstrap.match_detections)."""
    kept = limit_per_image(dets)
    lvis = is_lvis(gt)
    ground_truth = hotcoco.COCO(gt)
    evaluator = hotcoco.COCOeval(ground_truth, ground_truth.load_res(kept), iou_type, lvis_style=lvis)
    evaluator.params.max_dets = [MAX_DETS_PER_IMAGE]
    evaluator.evaluate()
    evaluator.accumulate()
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        # summarize() prints its table; for COCO ground truth it warns that max_dets is not [1, 10, 100]
        warnings.filterwarnings("ignore", message="hotcoco: max_dets differ", category=UserWarning)
        evaluator.summarize()
    return Evaluation(evaluator=evaluator, gt=gt, dets=kept, iou_type=iou_type, lvis=lvis)


def summary_metrics(evaluation: Evaluation, category_bins: dict[int, int], num_bins: int) -> dict:
    """The keys of :func:`average_precision` from an :class:`Evaluation`."""
    evaluator = evaluation.evaluator
    metrics = {_lvis_api_key(definition): float(value)
               for definition, value in zip(evaluator.metric_defs(), evaluator.stats)}
    metrics.update(bin_average_precision(evaluator.eval["precision"], list(evaluator.params.cat_ids),
                                         category_bins, num_bins))
    return metrics


def _lvis_api_key(definition: dict) -> str:
    """lvis-api's name of one hotcoco summary entry: AP names as they are (AP, AP50, APs, APr, ...);
    recalls as AR@300 / ARs@300 / ... from their area and max-dets (hotcoco's COCO mode names them
    AR1, AR10, AR100 whatever max_dets is)."""
    if definition["ap"]:
        return definition["name"]
    return f"AR{AREA_SUFFIX[definition['area']]}@{definition['max_det']}"


def bin_average_precision(precision: np.ndarray, category_ids: list[int], category_bins: dict[int, int],
                          num_bins: int) -> dict:
    """AP_k = unweighted mean over the categories of bin k of their AP
    (docs/paper-release-and-us.md#ap-by-instance-bins).

    Args:
        precision: (T IoUs, R recalls, K categories, A areas, M max-dets) from accumulate(); -1 = no GT.
        category_ids: (K,) category id of each precision column.
        category_bins: category id -> 1-based bin.

    Category APs as :func:`per_category_ap` (categories absent from val are skipped). An empty bin
    gives AP_k = -1 (lvis-api's value for "undefined").
    """
    per_bin: dict[int, list[float]] = {k: [] for k in range(1, num_bins + 1)}
    for cid, ap in per_category_ap(precision, category_ids).items():
        per_bin[category_bins[cid]].append(ap)
    metrics = {}
    for k, aps in per_bin.items():
        metrics[f"AP{k}"] = float(np.mean(aps)) if aps else -1.0
        metrics[f"num_cats_bin{k}"] = len(aps)
    return metrics


def category_ap_table(evaluation: Evaluation) -> dict[str, float]:
    """Every ground-truth category's AP as metrics.json's ``per_category`` records it: category id (a
    string, ascending) -> AP as :func:`per_category_ap` computes it, -1 for a category without val
    instances. The mean of the values other than -1 is the evaluation's AP."""
    evaluator = evaluation.evaluator
    aps = per_category_ap(evaluator.eval["precision"], list(evaluator.params.cat_ids))
    categories = sorted({int(category["id"]) for category in evaluation.gt["categories"]})
    return {str(cid): aps.get(cid, -1.0) for cid in categories}


def per_category_ap(precision: np.ndarray, category_ids: list[int]) -> dict[int, float]:
    """Category id -> AP: the mean of its precision entries > -1 at area "all" and the largest max-dets
    (precision as in :func:`bin_average_precision`); categories without such entries (absent from
    val) are left out."""
    aps = {}
    for column, cid in enumerate(category_ids):
        values = precision[:, :, column, 0, -1]
        values = values[values > -1]
        if values.size:
            aps[int(cid)] = float(values.mean())
    return aps
