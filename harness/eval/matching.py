"""lvis-api's evaluation re-done in numpy, up to the per-detection matching: which ground truths and
detections an evaluation covers, their IoUs and the greedy match of each detection.

An evaluation (:mod:`harness.eval.ap`, hotcoco) keeps its per-image results in Rust; the paired image
bootstrap (:mod:`harness.eval.bootstrap`) and the error analysis (:mod:`harness.eval.errors`) need them per
detection, so both build them here from the evaluator's own inputs and parameters:

- :func:`ground_truth_table` / :func:`detection_table`: (G,) / (D,) column dicts of the evaluated ground
  truths and detections, ids replaced by indices into the sorted image / category ids, LVIS's federated
  rules and the per-pair detection limit applied;
- :class:`PairIous`: pycocotools' IoU matrix (the code lvis-api uses) of one image and category;
- :func:`match_pairs` / :func:`match_image` / :func:`best_ground_truth`: lvis-api's ``evaluate_img`` greedy
  matching at every IoU threshold.
"""

import operator

import numpy as np
from pycocotools import mask as mask_utils

from harness.eval.ap import Evaluation

UNMATCHED, MATCHED, MATCHED_IGNORED = 0, 1, 2  # outcome of a detection at one IoU threshold


def ground_truth_table(gt: dict, image_ids, category_ids, area_range) -> dict[str, np.ndarray]:
    """(G,) arrays of the evaluated ground truths in file order: row in ``gt["annotations"]``, image /
    category index, pair key (image * K + category), crowd, ignore (crowd, or area outside the range:
    pycocotools' rule)."""
    anns = gt["annotations"]
    table = np.fromiter(((a["image_id"], a["category_id"], a["area"], bool(a.get("iscrowd", 0))) for a in anns),
                        dtype=[("image", "i8"), ("category", "i8"), ("area", "f8"), ("crowd", "?")], count=len(anns))
    columns = _indexed(_columns(table, row=np.arange(len(anns))), image_ids, category_ids)
    columns["ignore"] = columns["crowd"] | (columns["area"] < area_range[0]) | (columns["area"] > area_range[1])
    return columns


def detection_table(evaluation: Evaluation, boxes: np.ndarray, image_ids, category_ids, gt, area_range,
                     max_dets: int) -> dict[str, np.ndarray]:
    """(D,) arrays of the evaluated detections (row in ``evaluation.dets``, id = row + 1), sorted by
    (pair, score desc, id): the order of the IoU rows.

    LVIS federated rules (lvis-api ``_prepare``): a detection of a category neither in the image's
    ground truth nor in its ``neg_category_ids`` is not evaluated; one of a category in the image's
    ``not_exhaustive_category_ids`` is ignored when unmatched. At most ``max_dets`` per pair are kept.
    """
    dets = evaluation.dets
    fields = operator.itemgetter("image_id", "category_id", "score")
    table = np.fromiter(map(fields, dets), dtype=[("image", "i8"), ("category", "i8"), ("score", "f8")],
                        count=len(dets))
    columns = _columns(table, row=np.arange(len(dets)), area=_areas(evaluation, boxes))
    dt = _indexed(columns, image_ids, category_ids)
    dt["id"] = dt["row"] + 1
    dt["ignore_unmatched"] = (dt["area"] < area_range[0]) | (dt["area"] > area_range[1])
    if evaluation.lvis:
        negative = _image_category_pairs(evaluation.gt, image_ids, category_ids, "neg_category_ids")
        evaluated = np.isin(dt["pair"], np.union1d(gt["pair"], negative))
        dt = {key: value[evaluated] for key, value in dt.items()}
        not_exhaustive = _image_category_pairs(evaluation.gt, image_ids, category_ids, "not_exhaustive_category_ids")
        dt["ignore_unmatched"] |= np.isin(dt["pair"], not_exhaustive)
    order = np.lexsort((dt["id"], -dt["score"], dt["pair"]))
    pair = dt["pair"][order]
    rank = np.arange(len(pair)) - np.searchsorted(pair, pair)
    return {key: value[order[rank < max_dets]] for key, value in dt.items()}


MISSING_BOX = [np.nan] * 4


def entry_boxes(entries: list[dict]) -> np.ndarray:
    """(N, 4) [x, y, w, h] of every detection or annotation; NaN for one without a box (a mask-only
    result)."""
    return np.array([entry.get("bbox", MISSING_BOX) for entry in entries], dtype=float).reshape(-1, 4)


def _areas(evaluation: Evaluation, boxes: np.ndarray) -> np.ndarray:
    """(D,) area of every evaluated detection by loadRes' rule (pycocotools, lvis-api, hotcoco): the
    box's w * h when the detection has a box, else its mask's pixel count."""
    areas = boxes[:, 2] * boxes[:, 3]
    without_box = np.flatnonzero(np.isnan(boxes).all(axis=1))
    if without_box.size:
        sizes = _image_sizes(evaluation.gt)
        for row in without_box.tolist():
            det = evaluation.dets[row]
            areas[row] = mask_utils.area(_rle(det["segmentation"], *sizes[det["image_id"]]))
    return areas


def _image_sizes(gt: dict) -> dict[int, tuple[int, int]]:
    """Image id -> (height, width)."""
    return {image["id"]: (image["height"], image["width"]) for image in gt["images"]}


def _rle(segmentation, height: int, width: int) -> dict:
    """A polygon list, uncompressed or compressed RLE as one compressed RLE (pycocotools' annToRLE)."""
    if isinstance(segmentation, list):
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    if isinstance(segmentation["counts"], list):
        return mask_utils.frPyObjects(segmentation, height, width)
    return segmentation


class PairIous:
    """IoU matrices of one image and category, from pycocotools (lvis-api's own IoU code).

    Boxes of every detection and ground truth are gathered once; masks are converted per pair
    (each annotation belongs to a single pair).
    """

    def __init__(self, evaluation: Evaluation, dtentry_boxes: np.ndarray):
        """``dtentry_boxes``: (D, 4) boxes of ``evaluation.dets`` (:func:`entry_boxes`)."""
        self.gt, self.dets, self.iou_type = evaluation.gt["annotations"], evaluation.dets, evaluation.iou_type
        if self.iou_type == "bbox":
            self.dtentry_boxes, self.gtentry_boxes = dtentry_boxes, entry_boxes(self.gt)
        else:
            self.sizes = _image_sizes(evaluation.gt)

    def __call__(self, image_id: int, dt_rows: np.ndarray, gt_rows: np.ndarray, gt_crowd: np.ndarray) -> np.ndarray:
        """(D, G) IoU of detections ``dt_rows`` (rows in ``dets``) with ground truths ``gt_rows``."""
        if self.iou_type == "bbox":
            dt, gt = self.dtentry_boxes[dt_rows], self.gtentry_boxes[gt_rows]
        else:
            size = self.sizes[image_id]
            dt = [_rle(self.dets[row]["segmentation"], *size) for row in dt_rows.tolist()]
            gt = [_rle(self.gt[row]["segmentation"], *size) for row in gt_rows.tolist()]
        return np.asarray(mask_utils.iou(dt, gt, gt_crowd.astype(np.uint8).tolist()), dtype=float).reshape(
            len(dt_rows), len(gt_rows))


def _columns(table: np.ndarray, **extra: np.ndarray) -> dict[str, np.ndarray]:
    """The fields of a structured (A,) table as a name -> (A,) array dict, plus ``extra`` columns."""
    return {**{name: table[name] for name in table.dtype.names}, **extra}


def _indexed(columns: dict[str, np.ndarray], image_ids, category_ids) -> dict[str, np.ndarray]:
    """(A,) ``columns`` restricted to the evaluated images and categories, with image and category
    ids replaced by their indices in the sorted ``image_ids`` / ``category_ids`` and the pair key
    image * K + category added."""
    image, image_ok = _index_of(columns["image"], image_ids)
    category, category_ok = _index_of(columns["category"], category_ids)
    keep = image_ok & category_ok
    kept = {name: values[keep] for name, values in columns.items()}
    kept["image"], kept["category"] = image[keep], category[keep]
    kept["pair"] = kept["image"] * len(category_ids) + kept["category"]
    return kept


def _index_of(values: np.ndarray, sorted_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each value in ``sorted_ids`` and whether it is there at all."""
    index = np.minimum(np.searchsorted(sorted_ids, values), max(len(sorted_ids) - 1, 0))
    return index, (sorted_ids[index] == values) if len(sorted_ids) else np.zeros(len(values), dtype=bool)


def _image_category_pairs(gt: dict, image_ids, category_ids, field: str) -> np.ndarray:
    """Pair keys (image * K + category) listed in an LVIS image field such as ``neg_category_ids``."""
    pairs = np.array([(image["id"], c) for image in gt["images"] for c in image.get(field, [])],
                     dtype=np.int64).reshape(-1, 2)
    return _indexed({"image": pairs[:, 0], "category": pairs[:, 1]}, image_ids, category_ids)["pair"]


def match_pairs(ious: PairIous, gt: dict, dt: dict, image_ids, iou_thresholds) -> np.ndarray:
    """(T, D) outcome (UNMATCHED / MATCHED / MATCHED_IGNORED) of every detection at every threshold."""
    state = np.full((len(iou_thresholds), len(dt["id"])), UNMATCHED, dtype=np.int8)
    gt_order = np.argsort(gt["pair"], kind="stable")
    gt_pair = gt["pair"][gt_order]
    for pair in np.intersect1d(dt["pair"], gt_pair):
        dets = slice(*np.searchsorted(dt["pair"], [pair, pair + 1]))
        gts = gt_order[slice(*np.searchsorted(gt_pair, [pair, pair + 1]))]
        image_id = int(image_ids[dt["image"][dets.start]])
        matrix = ious(image_id, dt["row"][dets], gt["row"][gts], gt["crowd"][gts])
        state[:, dets] = match_image(matrix, gt["ignore"][gts], gt["crowd"][gts], iou_thresholds)
    return state


def match_image(ious: np.ndarray, gt_ignore: np.ndarray, gt_crowd: np.ndarray, iou_thresholds) -> np.ndarray:
    """Greedy matching of one image and category at every IoU threshold (lvis-api ``evaluate_img``).

    Args:
        ious: (D, G) IoU of each detection (sorted by score) with each ground truth (file order).
        gt_ignore, gt_crowd: (G,) bool.
    Returns:
        (T, D) int8: UNMATCHED, MATCHED (to a non-ignored ground truth) or MATCHED_IGNORED.

    In score order, each detection takes the still-free ground truth of highest IoU >= the threshold
    (ties: the later one), non-ignored ground truths first; a crowd region can be taken many times.
    Plain Python on lists: an image holds few ground truths of one category.
    """
    order = np.argsort(gt_ignore, kind="stable")  # non-ignored first, as evaluate_img sorts them
    ignore, crowd = gt_ignore[order].tolist(), gt_crowd[order].tolist()
    limits = [min(float(t), 1 - 1e-10) for t in iou_thresholds]
    taken = [[False] * len(ignore) for _ in limits]
    state = np.full((len(limits), ious.shape[0]), UNMATCHED, dtype=np.int8)
    candidates = np.flatnonzero(ious.max(axis=1, initial=-1.0) >= min(limits))
    for d, row in zip(candidates.tolist(), ious[candidates][:, order].tolist()):
        for t, limit in enumerate(limits):
            match = best_ground_truth(row, limit, taken[t], crowd, ignore)
            if match > -1:
                taken[t][match] = True
                state[t, d] = MATCHED_IGNORED if ignore[match] else MATCHED
    return state


def best_ground_truth(row: list[float], limit: float, taken: list[bool], crowd, ignore) -> int:
    """lvis-api's greedy choice for one detection: the position (in ``row``'s order: ground truth not
    ignored first) of the ground truth it matches at IoU threshold ``limit``, -1 for none. A taken
    non-crowd ground truth is skipped; once a non-ignored match is found, ignored ones are not tried."""
    best, match = limit, -1
    for g, iou in enumerate(row):
        if taken[g] and not crowd[g]:
            continue
        if match > -1 and not ignore[match] and ignore[g]:
            break
        if iou >= best:
            best, match = iou, g
    return match
