"""Paired image bootstrap of LVIS / COCO AP: one evaluation's matching, re-accumulated with image weights.

The evaluation (hotcoco, :mod:`harness.eval.ap`) decides once, per image and category, which
detection matches which ground truth at each of the 10 IoU thresholds (lvis-api's ``evaluate_img``,
with LVIS's federated rules). A bootstrap replicate draws the I val images with replacement; an image
drawn c times counts c times. Its AP is accumulated from that same matching, as lvis-api's
``accumulate`` does with every weight 1:

1. sort each category's detections by score (ties: image, then file order, like the evaluator);
2. weighted cumulative TP and FP along them; a detection's weight is its image's draw count;
3. recall = weighted TP / weighted number of non-ignored ground truths, precision = TP / (TP + FP);
4. precision made non-increasing from the right and read at the 101 recall thresholds 0, 0.01, .., 1
   (area "all", at most 300 detections per image); a category's AP is the mean over the thresholds,
   -1 when the replicate draws none of its ground truths (lvis-api's "undefined").

Replicate b of every run evaluated on the same val set draws the same images (:func:`resample_counts`
depends only on the sorted image ids and the seed), so differences such as AP(BAGS) - AP(baseline)
are paired.
"""

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from harness.eval.ap import Evaluation
from harness.eval.matching import (MATCHED, UNMATCHED, PairIous, detection_table, entry_boxes,
                                    ground_truth_table, match_pairs)

BLOCK_ELEMENTS = 1 << 20  # replicates x thresholds x detections held at once (arrays of 8 MB)


def resample_counts(image_ids, replicates: int, seed: int) -> np.ndarray:
    """How often each image is drawn in each of ``replicates`` resamples with replacement.

    Returns (B, I) int64; column i is the i-th smallest image id, every row sums to I. The draws
    depend only on I (the number of distinct ids) and ``seed``.
    """
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")
    num_images = len(np.unique(np.asarray(image_ids)))
    draws = np.random.default_rng(seed).integers(0, num_images, size=(replicates, num_images))
    flat = draws + num_images * np.arange(replicates)[:, None]
    return np.bincount(flat.ravel(), minlength=replicates * num_images).reshape(replicates, num_images)


def image_ids_digest(image_ids) -> str:
    """sha256 of the sorted distinct image ids (as a JSON list): names the val set the resamples index."""
    ids = sorted({int(i) for i in image_ids})
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()


@dataclass
class Matching:
    """Per-detection outcome of one evaluation, detections sorted by (category, score desc, image, id).

    Shapes: I images, K categories, T IoU thresholds, N detections that are not ignored at some
    threshold, P (image, category) pairs with non-ignored ground truth.
    """
    image_ids: np.ndarray        # (I,) sorted val image ids: the columns of resample_counts
    category_ids: np.ndarray     # (K,)
    frequencies: list | None     # (K,) LVIS frequency "r" / "c" / "f"; None for COCO ground truth
    iou_thresholds: np.ndarray   # (T,)
    recall_thresholds: np.ndarray  # (R,) 101 points 0..1
    det_image: np.ndarray        # (N,) image index
    det_category: np.ndarray     # (N,) category index, non-decreasing
    det_tp: np.ndarray           # (T, N) bool: matched a non-ignored ground truth
    det_fp: np.ndarray           # (T, N) bool: unmatched and not ignored
    gt_image: np.ndarray         # (P,) image index
    gt_category: np.ndarray      # (P,) category index
    gt_count: np.ndarray         # (P,) number of non-ignored ground truths of the pair


def category_average_precision(matching: Matching, counts: np.ndarray) -> np.ndarray:
    """(B, T, K) AP of every category at every IoU threshold under image weights ``counts`` (B, I).

    -1 where the replicate holds no non-ignored ground truth of the category.
    """
    counts = np.asarray(counts, dtype=np.int64)
    num_cats, num_thr = len(matching.category_ids), len(matching.iou_thresholds)
    if counts.ndim != 2 or counts.shape[1] != len(matching.image_ids):
        raise ValueError(f"counts must have shape (B, {len(matching.image_ids)}), got {counts.shape}")
    positives = np.zeros((counts.shape[0], num_cats), dtype=np.int64)  # (B, K) weighted positives
    np.add.at(positives.T, matching.gt_category, (counts[:, matching.gt_image] * matching.gt_count).T)
    ap = np.full((counts.shape[0], num_thr, num_cats), -1.0)
    bounds = np.searchsorted(matching.det_category, np.arange(num_cats + 1))
    for k in np.flatnonzero(positives.any(0)):
        dets = slice(bounds[k], bounds[k + 1])
        ap[:, :, k] = _category_ap(matching.det_image[dets], matching.det_tp[:, dets], matching.det_fp[:, dets],
                                   positives[:, k], counts, matching.recall_thresholds)
    return ap


def _category_ap(image, tp, fp, positives, counts, recall_thresholds) -> np.ndarray:
    """(B, T) AP of one category; -1 where ``positives`` (B,) is 0.

    Args:
        image: (N,) image index of the category's detections, sorted by score.
        tp, fp: (T, N) bool outcomes at each IoU threshold.
        positives: (B,) weighted number of non-ignored ground truths.
        counts: (B, I) image weights.

    Precision only needs evaluating where recall can rise: at the "mixed" detections, those not FP at
    every threshold (TP at some). An always-FP detection only adds its image's weight to the FP count
    of the mixed detections ranked below it (gap sums, then their cumulative sum ``fp_before``); one
    ranked below the last mixed detection never matters. Replicates go in blocks of BLOCK_ELEMENTS.
    """
    ap = np.zeros((counts.shape[0], tp.shape[0]))
    mixed = np.flatnonzero(~fp.all(0))
    if mixed.size:
        always = np.flatnonzero(fp.all(0))
        always = always[always < mixed[-1]]
        gap = np.searchsorted(mixed, always)  # the mixed detection each always-FP one precedes
        first = np.flatnonzero(np.r_[True, np.diff(gap) > 0])  # where each gap's run of always-FPs starts
        block = max(1, BLOCK_ELEMENTS // (tp.shape[0] * mixed.size))
        for start in range(0, counts.shape[0], block):
            rows = slice(start, start + block)
            fp_before = np.zeros((counts[rows].shape[0], mixed.size), dtype=np.int64)
            if always.size:
                fp_before[:, gap[first]] = np.add.reduceat(counts[rows][:, image[always]], first, axis=1)
            ap[rows] = _interpolated_ap(counts[rows][:, image[mixed]], tp[:, mixed], fp[:, mixed],
                                        np.cumsum(fp_before, axis=1), positives[rows], recall_thresholds)
    ap[positives == 0] = -1.0
    return ap


def _interpolated_ap(weight, tp, fp, fp_before, positives, recall_thresholds) -> np.ndarray:
    """(B, T) 101-point AP from the mixed detections of one category.

    Args:
        weight: (B, M) image weight of each mixed detection; tp, fp: (T, M) bool.
        fp_before: (B, M) weight of the always-FP detections ranked above each mixed detection.
        positives: (B,) weighted positives, > 0.
    """
    tp_sum = np.cumsum(weight[:, None, :] * tp, axis=2)                  # (B, T, M)
    fp_sum = fp_before[:, None, :] + np.cumsum(weight[:, None, :] * fp, axis=2)
    precision = tp_sum / np.maximum(tp_sum + fp_sum, 1)  # no weighted detection yet: 0, as the evaluator
    # Only TPs can raise recall: zeroing precision elsewhere leaves every maximum to the right as it was.
    precision *= tp
    envelope = np.maximum.accumulate(precision[..., ::-1], axis=2)[..., ::-1]
    # Recall threshold r reads the envelope at the first detection whose recall reaches r.
    reached, offsets = _thresholds_reached(positives, recall_thresholds)
    steps = np.diff(reached[offsets[:, None, None] + tp_sum], axis=2, prepend=0)
    return (envelope * steps).sum(axis=2) / len(recall_thresholds)


def _thresholds_reached(positives: np.ndarray, recall_thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lookup of how many recall thresholds the recall k / n reaches, for every replicate's n.

    Returns (table, offsets): replicate b's entry for k TPs is ``table[offsets[b] + k]`` (0 <= k <= n_b),
    the count of thresholds <= k / n_b with the evaluator's own double division and comparison.
    """
    sizes = positives + 1
    offsets = np.cumsum(sizes) - sizes
    k = np.arange(sizes.sum()) - np.repeat(offsets, sizes)
    recall = k / np.repeat(np.maximum(positives, 1), sizes)  # n = 0: the caller writes -1
    return np.searchsorted(recall_thresholds, recall, side="right"), offsets


def bootstrap_metrics(matching: Matching, counts: np.ndarray, category_bins: dict[int, int],
                      num_bins: int) -> dict[str, np.ndarray]:
    """AP, AP50, AP75, APr, APc, APf (LVIS) and AP1..APk of every replicate: name -> (B,) array.

    ``counts`` (B, I) weighs the images of ``matching.image_ids`` (:func:`resample_counts`).

    Means are over the categories with ground truth in the replicate (lvis-api's -1 rule); a mean
    over no category is -1. Bins follow :func:`harness.eval.ap.bin_average_precision`.
    """
    ap = category_average_precision(matching, counts)                     # (B, T, K)
    thresholds = list(np.round(matching.iou_thresholds, 2))
    groups = {"AP": ap.mean(axis=1), "AP50": ap[:, thresholds.index(0.5)], "AP75": ap[:, thresholds.index(0.75)]}
    per_category = groups["AP"]
    columns = {}
    if matching.frequencies is not None:
        columns.update({f"AP{f}": [k for k, fr in enumerate(matching.frequencies) if fr == f] for f in "rcf"})
    bins = [category_bins[int(cid)] for cid in matching.category_ids]
    columns.update({f"AP{b}": [k for k, kb in enumerate(bins) if kb == b] for b in range(1, num_bins + 1)})
    metrics = {name: _mean_defined(values) for name, values in groups.items()}
    metrics.update({name: _mean_defined(per_category[:, cols]) for name, cols in columns.items()})
    return metrics


def _mean_defined(values: np.ndarray) -> np.ndarray:
    """(B,) mean of each row's entries > -1; -1 for a row without any."""
    defined = values > -1
    num = defined.sum(axis=1)
    return np.where(num > 0, np.where(defined, values, 0.0).sum(axis=1) / np.maximum(num, 1), -1.0)


def match_detections(evaluation: Evaluation) -> Matching:
    """The matching behind a :class:`harness.eval.ap.Evaluation`, per detection.

    Reads the evaluator's parameters and the inputs it was given: the ground truth and the evaluated
    detections (id n + 1 for ``dets[n]``, area by loadRes' rule). IoUs come from pycocotools (the code
    lvis-api itself uses) and the per-image rules are lvis-api's / pycocotools' ``evaluateImg``, both
    re-done here because hotcoco keeps its per-image results in Rust (its ``eval_imgs`` builds Python
    lists of every match, far too slow at 1.5 M detections); the identity test checks they give the
    evaluator's AP exactly.
    """
    p = evaluation.evaluator.params
    image_ids = np.sort(np.asarray(p.imgIds, dtype=np.int64))
    category_ids = np.sort(np.asarray(p.catIds, dtype=np.int64))
    area_range, lvis = p.areaRng[0], evaluation.lvis
    dtentry_boxes = entry_boxes(evaluation.dets)
    gt = ground_truth_table(evaluation.gt, image_ids, category_ids, area_range)
    dt = detection_table(evaluation, dtentry_boxes, image_ids, category_ids, gt, area_range, p.maxDets[-1])
    ious = PairIous(evaluation, dtentry_boxes)
    state = match_pairs(ious, gt, dt, image_ids, np.asarray(p.iouThrs, dtype=float))
    tp = state == MATCHED
    fp = (state == UNMATCHED) & ~dt["ignore_unmatched"]
    keep = (tp | fp).any(axis=0)
    order = np.lexsort((dt["id"], dt["image"], -dt["score"], dt["category"]))
    order = order[keep[order]]
    positive = ~gt["ignore"]
    pairs, gt_count = np.unique(gt["pair"][positive], return_counts=True)
    frequency = {c["id"]: c.get("frequency") for c in evaluation.gt["categories"]}
    return Matching(
        image_ids=image_ids, category_ids=category_ids,
        frequencies=[frequency[int(c)] for c in category_ids] if lvis else None,
        iou_thresholds=np.asarray(p.iouThrs, dtype=float), recall_thresholds=np.asarray(p.recThrs, dtype=float),
        det_image=dt["image"][order], det_category=dt["category"][order], det_tp=tp[:, order], det_fp=fp[:, order],
        gt_image=pairs // len(category_ids), gt_category=pairs % len(category_ids), gt_count=gt_count)
