"""Why AP is low, per train-count bin: TIDE's error decomposition (Bolya et al., ECCV 2020) of one evaluation.

Everything is measured at one IoU, ``pos_thr`` = 0.5, on the evaluation's own matching (lvis-api's
greedy matching and LVIS's federated rules, area "all", at most 300 detections per image and category):

1. Matching. A detection is a true positive (TP) when it matches a ground truth (GT) of its category at
   IoU >= pos_thr, a false positive (FP) when it is unmatched and not ignored. Ignored, as by the
   evaluator: detections matched to a crowd region; with LVIS ground truth, detections of a category
   neither annotated in the image nor in its ``neg_category_ids``, and unmatched detections of a
   category in its ``not_exhaustive_category_ids``. Ignored detections take no part below.
2. Each FP gets one type, the first that holds, with s = its highest IoU with a GT of its own class and
   x = its highest IoU with a GT of any other class in the image (crowd regions left out):
   ``Loc`` bg_thr <= s < pos_thr (right class, poorly localised); ``Cls`` x >= pos_thr (well
   localised, wrong class); ``Dupe`` s >= pos_thr (its GT was taken by a higher-scoring detection);
   ``Bkg`` s < bg_thr and x < bg_thr (on background); ``Both`` the rest (wrong class and poorly
   localised: bg_thr <= x < pos_thr). A Loc / Cls error *targets* the GT of that highest IoU.
3. A GT that counts (not crowd) is ``Miss`` when it is unmatched and no Loc or Cls error targets it.
4. dAP of a type = AP after fixing every error of that type minus AP (an oracle; positive or zero).
   Fixing Loc / Cls: per targeted unmatched GT, the highest-scoring error of that type targeting it
   becomes a TP of the GT's class (for Cls: moved into that class), the others are removed. Fixing
   Dupe / Bkg / Both: those detections are removed. Fixing Miss: one TP per missed GT is added above
   every detection of its class (so a category whose only GT is missed gains 1 - AP).
5. AP is each category's 101-point AP at pos_thr exactly as the evaluator computes it (the IoU-0.5 slice
   of :func:`harness.eval.ap.per_category_ap`); a bin's number is the unweighted mean over the bin's
   categories with val GT, as AP_k averages them; "all" averages over every such category (its base AP
   is the evaluation's AP50).

Differences from tidecv / hotcoco's ``tide_errors`` (hotcoco 1.3.0, the pinned evaluator): those return
only the mean over all categories (no per-category or per-bin numbers), and restricting
``params.cat_ids`` to a bin hides the other classes' GT from the Cls test (a wrong-class hit becomes
Bkg); their Miss oracle removes missed GTs from the denominator, which leaves a category whose every GT
is missed (common in the LVIS tail) undefined and counted as dAP 0, so a TP is injected here instead;
and the one Loc or Cls fix per GT is chosen among errors of the type being fixed (tidecv shares that
choice between Loc and Cls errors on the same GT). The boundaries follow the
half-open intervals above (tidecv has s <= pos_thr for Loc and max IoU <= bg_thr for Bkg: ties only).
On the 100-image LVIS fixture the FP and Miss counts equal hotcoco's and so do its dAP of Cls, Loc,
Both, Dupe and Bkg over all categories (tests/test_error_analysis.py).
"""

from dataclasses import dataclass

import numpy as np

from harness.eval.ap import Evaluation
from harness.eval.matching import (MATCHED, MATCHED_IGNORED, UNMATCHED, PairIous, best_ground_truth,
                                   detection_table, entry_boxes, ground_truth_table)

POS_THR, BG_THR = 0.5, 0.1
FP_TYPES = ("Cls", "Loc", "Both", "Dupe", "Bkg")  # an FP's type is its index here
ERROR_TYPES = (*FP_TYPES, "Miss")
CLS, LOC, BOTH, DUPE, BKG = range(len(FP_TYPES))
NO_ERROR = -1
DEFINITION = (
    "TIDE (Bolya et al., ECCV 2020) per train-count bin, at IoU pos_thr on the evaluation's matching (LVIS "
    "federated rules). Each false positive gets the first type that holds, with s / x its highest IoU with "
    "a GT of its own / another class: Loc bg_thr <= s < pos_thr; Cls x >= pos_thr; Dupe s >= pos_thr; Bkg "
    "s, x < bg_thr; Both the rest. Miss: an unmatched GT no Loc or Cls error targets. Each type's value is "
    "dAP = AP at pos_thr after fixing all errors of that type minus AP at pos_thr, averaged over the bin's "
    "categories with val GT (fractions; -1: empty bin). Fixes: Loc / Cls turn the best-scoring error on "
    "each unmatched GT into a TP of the GT's class (others removed); Dupe / Bkg / Both remove the "
    "detections; Miss adds a top-scoring TP per missed GT. base_AP: the bin's AP at pos_thr. counts: FPs "
    "of the bin's categories by type; GT = TP + GT_Cls (found only by a wrong class) + GT_Loc (found only "
    "at IoU in [bg_thr, pos_thr)) + Miss, over the bin's GT. docs/evaluation.md#error-analysis-by-bin")
COUNT_KEYS = ("GT", "TP", "GT_Cls", "GT_Loc", *ERROR_TYPES)


@dataclass
class Outcomes:
    """The matching at pos_thr and the errors: D evaluated detections (the detection table of
    :mod:`harness.eval.matching`, sorted by image, category, score desc, id), G ground truths (its
    ground-truth table, file order)."""
    state: np.ndarray       # (D,) int8 UNMATCHED / MATCHED / MATCHED_IGNORED
    error: np.ndarray       # (D,) int8 index into FP_TYPES for a false positive, NO_ERROR otherwise
    target: np.ndarray      # (D,) int64 row of the GT a Loc / Cls error targets, -1 otherwise
    gt_matched: np.ndarray  # (G,) bool: taken by a detection


@dataclass
class CategoryErrors:
    """Per category: AP at pos_thr, dAP of each error type and the counts of :data:`COUNT_KEYS`."""
    category_ids: np.ndarray      # (K,) sorted
    ap: np.ndarray                # (K,) -1 for a category without val GT
    delta: dict[str, np.ndarray]  # type -> (K,) dAP (0 where ap is -1)
    counts: dict[str, np.ndarray]  # COUNT_KEYS -> (K,) int64


def error_analysis(evaluation: Evaluation, category_bins: dict[int, int], num_bins: int,
                   pos_thr: float = POS_THR, bg_thr: float = BG_THR) -> dict:
    """metrics.json's ``errors_by_bin`` entry of one IoU type: {"definition", "pos_thr", "bg_thr", "bins":
    {"1": {...}, ..., "<num_bins>": {...}, "all": {...}}}, each bin as :func:`bin_summary`.

    Args:
        evaluation: from :func:`harness.eval.ap.evaluate_detections`.
        category_bins: category id -> 1-based train-count bin (every evaluated category).
        num_bins: number of bins; every bin is written (an empty one with -1 values).
    """
    errors = category_errors(evaluation, pos_thr, bg_thr)
    bins = np.array([category_bins[int(cid)] for cid in errors.category_ids])
    summary = {str(k): bin_summary(errors, bins == k) for k in range(1, num_bins + 1)}
    summary["all"] = bin_summary(errors, np.ones(len(bins), dtype=bool))
    return {"definition": DEFINITION, "pos_thr": pos_thr, "bg_thr": bg_thr, "bins": summary}


def bin_summary(errors: CategoryErrors, members: np.ndarray) -> dict:
    """{"base_AP", "num_cats", "Cls", "Loc", "Both", "Dupe", "Bkg", "Miss", "counts": {COUNT_KEYS}} of
    the categories ``members`` (K,) bool: means over those with val GT (-1 if none), counts summed."""
    with_gt = members & (errors.ap > -1)
    counts = {key: int(values[members].sum()) for key, values in errors.counts.items()}
    if not with_gt.any():
        return {"base_AP": -1.0, "num_cats": 0, **{name: -1.0 for name in ERROR_TYPES}, "counts": counts}
    return {"base_AP": float(errors.ap[with_gt].mean()), "num_cats": int(with_gt.sum()),
            **{name: float(errors.delta[name][with_gt].mean()) for name in ERROR_TYPES}, "counts": counts}


def category_errors(evaluation: Evaluation, pos_thr: float = POS_THR, bg_thr: float = BG_THR) -> CategoryErrors:
    """Every category's AP at pos_thr, dAP per error type and counts (module docstring)."""
    p = evaluation.evaluator.params
    image_ids = np.sort(np.asarray(p.imgIds, dtype=np.int64))
    category_ids = np.sort(np.asarray(p.catIds, dtype=np.int64))
    boxes = entry_boxes(evaluation.dets)
    gt = ground_truth_table(evaluation.gt, image_ids, category_ids, p.areaRng[0])
    dt = detection_table(evaluation, boxes, image_ids, category_ids, gt, p.areaRng[0], p.maxDets[-1])
    outcomes = classify(PairIous(evaluation, boxes), gt, dt, image_ids, pos_thr, bg_thr)
    positives = np.bincount(gt["category"][~gt["ignore"]], minlength=len(category_ids))
    score = dict(num_categories=len(category_ids), positives=positives,
                 recall_thresholds=np.asarray(p.recThrs, dtype=float))
    rows = _scored_rows(dt, outcomes)
    base = _variant_ap(rows, **score)
    delta = {name: _variant_ap(fixed_rows(rows, gt, outcomes, name), **score) - base for name in ERROR_TYPES}
    delta = {name: np.where(base > -1, values, 0.0) for name, values in delta.items()}
    return CategoryErrors(category_ids, base, delta, _category_counts(dt, gt, outcomes, len(category_ids)))


def classify(ious: PairIous, gt: dict, dt: dict, image_ids: np.ndarray, pos_thr: float,
             bg_thr: float) -> Outcomes:
    """Match every image's detections at pos_thr and type its false positives (module docstring).

    ``gt`` / ``dt``: :mod:`harness.eval.matching`'s (G,) / (D,) tables; one IoU matrix per image (its
    detections x its ground truths, every category), sliced per category for the matching.
    """
    count = len(dt["id"])
    outcomes = Outcomes(np.full(count, UNMATCHED, dtype=np.int8), np.full(count, NO_ERROR, dtype=np.int8),
                        np.full(count, -1, dtype=np.int64), np.zeros(len(gt["row"]), dtype=bool))
    gt_order = np.argsort(gt["pair"], kind="stable")  # by image, category, then file order
    dt_bounds = np.searchsorted(dt["image"], np.arange(len(image_ids) + 1))  # dt is sorted by pair
    gt_bounds = np.searchsorted(gt["image"][gt_order], np.arange(len(image_ids) + 1))
    for i in np.flatnonzero(np.diff(dt_bounds)):
        dets = np.arange(dt_bounds[i], dt_bounds[i + 1])
        gts = gt_order[gt_bounds[i]:gt_bounds[i + 1]]
        matrix = ious(int(image_ids[i]), dt["row"][dets], gt["row"][gts], gt["crowd"][gts])
        _match_image(matrix, dets, gts, dt, gt, outcomes, pos_thr)
        _type_errors(matrix, dets, gts, dt, gt, outcomes, pos_thr, bg_thr)
    return outcomes


def _match_image(matrix: np.ndarray, dets: np.ndarray, gts: np.ndarray, dt: dict, gt: dict,
                 outcomes: Outcomes, thr: float) -> None:
    """Fill ``outcomes.state`` / ``gt_matched`` for one image: each category's detections (score order)
    against its ground truths (file order), ``matrix`` (len(dets), len(gts)) holding their IoUs."""
    dt_category, gt_category = dt["category"][dets], gt["category"][gts]
    for category in np.intersect1d(dt_category, gt_category):
        rows = slice(*np.searchsorted(dt_category, [category, category + 1]))
        columns = slice(*np.searchsorted(gt_category, [category, category + 1]))
        cols = gts[columns]
        state, match = greedy_match(matrix[rows, columns], gt["ignore"][cols], gt["crowd"][cols], thr)
        outcomes.state[dets[rows]] = state
        outcomes.gt_matched[cols[match[match >= 0]]] = True


def greedy_match(ious: np.ndarray, gt_ignore: np.ndarray, gt_crowd: np.ndarray,
                 thr: float) -> tuple[np.ndarray, np.ndarray]:
    """lvis-api ``evaluate_img`` at one IoU threshold, also saying which GT each detection took (which
    :func:`harness.eval.matching.match_image`, all thresholds at once, does not).

    Args:
        ious: (D, G) IoU of detections (score order) with ground truths (file order).
        gt_ignore, gt_crowd: (G,) bool.
    Returns:
        (D,) int8 state (as :func:`harness.eval.matching.match_image`) and (D,) int64 column of the
        GT taken, -1 for none.
    """
    order = np.argsort(gt_ignore, kind="stable")  # non-ignored first
    ignore, crowd, limit = gt_ignore[order].tolist(), gt_crowd[order].tolist(), min(float(thr), 1 - 1e-10)
    taken = [False] * len(order)
    state, match = np.full(ious.shape[0], UNMATCHED, dtype=np.int8), np.full(ious.shape[0], -1, dtype=np.int64)
    candidates = np.flatnonzero(ious.max(axis=1, initial=-1.0) >= limit)
    for d, row in zip(candidates.tolist(), ious[candidates][:, order].tolist()):
        found = best_ground_truth(row, limit, taken, crowd, ignore)
        if found > -1:
            taken[found] = True
            state[d], match[d] = (MATCHED_IGNORED if ignore[found] else MATCHED), order[found]
    return state, match


def _type_errors(matrix: np.ndarray, dets: np.ndarray, gts: np.ndarray, dt: dict, gt: dict,
                 outcomes: Outcomes, pos_thr: float, bg_thr: float) -> None:
    """Fill ``outcomes.error`` / ``target`` for the false positives among ``dets`` (one image)."""
    fp = np.flatnonzero((outcomes.state[dets] == UNMATCHED) & ~dt["ignore_unmatched"][dets])
    if not fp.size:
        return
    if not gts.size:
        outcomes.error[dets[fp]] = BKG
        return
    counted = ~gt["ignore"][gts]  # crowd regions are no object to find
    same = dt["category"][dets[fp]][:, None] == gt["category"][gts][None, :]
    same_iou = np.where(same & counted, matrix[fp], -1.0)       # (F, G)
    other_iou = np.where(~same & counted, matrix[fp], -1.0)
    s, x = same_iou.max(axis=1).clip(0), other_iou.max(axis=1).clip(0)
    error = np.select([(s >= bg_thr) & (s < pos_thr), x >= pos_thr, s >= pos_thr, x < bg_thr],
                      [LOC, CLS, DUPE, BKG], BOTH)
    target = np.select([error == LOC, error == CLS],
                       [gts[same_iou.argmax(axis=1)], gts[other_iou.argmax(axis=1)]], -1)
    outcomes.error[dets[fp]], outcomes.target[dets[fp]] = error, target


def _scored_rows(dt: dict, outcomes: Outcomes) -> dict[str, np.ndarray]:
    """The detections AP counts, TPs and FPs, ranked (:func:`_ranked`): (N,) columns category, image,
    score, id, tp, error, target."""
    keep = (outcomes.state == MATCHED) | (outcomes.error != NO_ERROR)
    return _ranked({"category": dt["category"][keep], "image": dt["image"][keep], "score": dt["score"][keep],
                    "id": dt["id"][keep], "tp": outcomes.state[keep] == MATCHED, "error": outcomes.error[keep],
                    "target": outcomes.target[keep]})


def _ranked(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``rows`` in the evaluator's order: by category, then score descending, image, id."""
    order = np.lexsort((rows["id"], rows["image"], -rows["score"], rows["category"]))
    return {key: values[order] for key, values in rows.items()}


def fixed_rows(rows: dict[str, np.ndarray], gt: dict, outcomes: Outcomes, name: str) -> dict[str, np.ndarray]:
    """The scored ``rows`` (:func:`_scored_rows`, left as they are) after fixing every error of type
    ``name`` (module docstring, item 4), ranked again."""
    if name == "Miss":
        missed = np.flatnonzero(gt_outcomes(gt, outcomes) == GT_MISS)
        extra = {"category": gt["category"][missed], "image": gt["image"][missed],
                 "score": np.full(missed.size, np.inf), "id": np.zeros(missed.size, dtype=np.int64),
                 "tp": np.ones(missed.size, dtype=bool), "error": np.full(missed.size, NO_ERROR, dtype=np.int8),
                 "target": np.full(missed.size, -1, dtype=np.int64)}
        rows = {key: np.concatenate([extra[key], rows[key]]) for key in rows}  # above every detection
        order = np.argsort(rows["category"], kind="stable")
        return {key: values[order] for key, values in rows.items()}
    kind = FP_TYPES.index(name)
    winners = _fix_winners(rows, kind, outcomes.gt_matched)
    keep = (rows["error"] != kind) | winners
    fixed = {**rows, "tp": rows["tp"] | winners}
    if kind == CLS:  # each fixed error moves into its GT's class
        fixed["category"] = np.where(winners, gt["category"][np.maximum(rows["target"], 0)], rows["category"])
    fixed = {key: values[keep] for key, values in fixed.items()}  # still ranked, but for moved rows
    return _ranked(fixed) if kind == CLS else fixed


def _fix_winners(rows: dict[str, np.ndarray], kind: int, gt_matched: np.ndarray) -> np.ndarray:
    """(N,) bool: the errors a fix of ``kind`` turns into TPs. Only Loc and Cls errors have any: per
    targeted GT still unmatched, the highest-scoring error of that type (ties: image, then id)."""
    winners = np.zeros(len(rows["tp"]), dtype=bool)
    if kind not in (CLS, LOC):
        return winners
    candidates = np.flatnonzero(_on_unmatched_gt(rows["error"], rows["target"], kind, gt_matched))
    order = candidates[np.lexsort((rows["id"][candidates], rows["image"][candidates], -rows["score"][candidates]))]
    _, first = np.unique(rows["target"][order], return_index=True)
    winners[order[first]] = True
    return winners


def _on_unmatched_gt(error: np.ndarray, target: np.ndarray, kind: int, gt_matched: np.ndarray) -> np.ndarray:
    """(N,) bool: errors of ``kind`` whose target GT no detection took."""
    hit = (error == kind) & (target >= 0)
    hit[hit] = ~gt_matched[target[hit]]
    return hit


GT_IGNORED, GT_TP, GT_CLS, GT_LOC, GT_MISS = -1, 0, 1, 2, 3  # what became of a ground truth


def gt_outcomes(gt: dict, outcomes: Outcomes) -> np.ndarray:
    """(G,) what became of each GT: GT_IGNORED (crowd), GT_TP (matched), GT_CLS (unmatched, targeted by a
    Cls error), GT_LOC (unmatched, targeted by a Loc error and no Cls error), else GT_MISS."""
    part = np.full(len(gt["row"]), GT_MISS, dtype=np.int64)
    for kind, code in ((LOC, GT_LOC), (CLS, GT_CLS)):  # Cls second: it wins
        part[outcomes.target[_on_unmatched_gt(outcomes.error, outcomes.target, kind, outcomes.gt_matched)]] = code
    part[outcomes.gt_matched] = GT_TP
    part[gt["ignore"]] = GT_IGNORED
    return part


def _variant_ap(rows: dict[str, np.ndarray], num_categories: int, positives: np.ndarray,
                recall_thresholds: np.ndarray) -> np.ndarray:
    """(K,) AP of every category from scored ``rows`` (each a TP or an FP), -1 without val GT.

    Args:
        rows: (N,) columns category and tp at least, ranked (:func:`_ranked`).
        positives: (K,) number of val GTs that count.
        recall_thresholds: (R,) 0, 0.01, .., 1.

    The evaluator's accumulation, as :mod:`harness.eval.bootstrap` re-does it with every image weight 1:
    detections ranked by score (ties: image, then id), precision TP / (TP + FP) made non-increasing from
    the right, read at the first detection whose recall TP / positives reaches each threshold.
    """
    category, tp = rows["category"], rows["tp"]
    starts = np.searchsorted(category, np.arange(num_categories))
    tp_sum, fp_sum = _cumsum_from(tp, starts, category), _cumsum_from(~tp, starts, category)
    precision = np.where(tp, tp_sum / np.maximum(tp_sum + fp_sum, 1), 0.0)  # only TPs raise recall
    reached = np.searchsorted(recall_thresholds, tp_sum / np.maximum(positives[category], 1), side="right")
    steps = np.diff(reached, prepend=0)
    steps[starts[starts < len(steps)]] = reached[starts[starts < len(steps)]]  # each category from 0
    ends = np.append(starts[1:], len(category))
    for k in np.flatnonzero(ends > starts):  # precision envelope, within each category
        precision[starts[k]:ends[k]] = np.maximum.accumulate(precision[starts[k]:ends[k]][::-1])[::-1]
    ap = np.bincount(category, weights=precision * steps, minlength=num_categories) / len(recall_thresholds)
    return np.where(positives > 0, ap, -1.0)


def _cumsum_from(values: np.ndarray, starts: np.ndarray, category: np.ndarray) -> np.ndarray:
    """(N,) running count of ``values`` (N,) bool within each category's run of rows (``category`` sorted,
    ``starts`` (K,) where each run begins)."""
    total = np.cumsum(values, dtype=np.int64)
    before = np.concatenate([[0], total])[starts]  # count before each category's first row
    return total - before[category]


def _category_counts(dt: dict, gt: dict, outcomes: Outcomes, num_categories: int) -> dict[str, np.ndarray]:
    """:data:`COUNT_KEYS` -> (K,) int64: FPs by type and detection category, GTs by outcome and category."""
    def per_category(categories: np.ndarray) -> np.ndarray:
        return np.bincount(categories, minlength=num_categories).astype(np.int64)

    part = gt_outcomes(gt, outcomes)
    counts = {"GT": per_category(gt["category"][part != GT_IGNORED])}
    counts.update({name: per_category(gt["category"][part == code])
                   for name, code in (("TP", GT_TP), ("GT_Cls", GT_CLS), ("GT_Loc", GT_LOC), ("Miss", GT_MISS))})
    counts.update({name: per_category(dt["category"][outcomes.error == kind]) for kind, name in enumerate(FP_TYPES)})
    return {key: counts[key] for key in COUNT_KEYS}
