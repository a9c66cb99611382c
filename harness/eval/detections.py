"""Reading and checking a detections file (LVIS/COCO results format)."""

from collections import defaultdict

from harness.errors import InputError

MAX_DETS_PER_IMAGE = 300  # LVIS: keep the top 300 detections of every image (lvis-api's LVISResults)


def check_detections(dets, gt: dict, source: str, iou_types: list[str], keep_degenerate: bool = False) -> list[dict]:
    """Validate a results list against its ground truth; raise InputError naming the entry and field.

    A box with negative width or height is an error unless ``keep_degenerate``: then it is passed on,
    as lvis-api does (it can never match, and its negative area puts it outside every area range, so
    it is ignored rather than counted as a false positive).
    """
    if not isinstance(dets, list):
        raise InputError(source, None, "must be a JSON list of detections")
    images = {im["id"] for im in gt["images"]}
    categories = {c["id"] for c in gt["categories"]}
    for i, det in enumerate(dets):
        if not isinstance(det, dict):
            raise InputError(source, f"[{i}]", "each detection must be an object")
        for key in ("image_id", "category_id", "score", *(["bbox"] if "bbox" in iou_types else []),
                    *(["segmentation"] if "segm" in iou_types else [])):
            if key not in det:
                raise InputError(source, f"[{i}].{key}", "missing")
        if det["image_id"] not in images:
            raise InputError(source, f"[{i}].image_id", f"{det['image_id']!r} is not an image of the ground truth")
        if det["category_id"] not in categories:
            raise InputError(source, f"[{i}].category_id", f"{det['category_id']!r} is not a ground-truth category")
        if "bbox" in det:
            box = det["bbox"]
            if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
                raise InputError(source, f"[{i}].bbox", f"must be [x, y, w, h], got {box!r}")
            if (box[2] < 0 or box[3] < 0) and not keep_degenerate:
                raise InputError(source, f"[{i}].bbox", f"negative width or height: {box!r} "
                                 "(--keep-degenerate-boxes evaluates such boxes as lvis-api does)")
    return dets


def limit_per_image(dets: list[dict], limit: int = MAX_DETS_PER_IMAGE) -> list[dict]:
    """The ``limit`` highest-scoring detections of every image, as lvis-api's ``limit_dets_per_image``:
    grouped by image (first-appearance order), an image over the limit sorted by score (ties keep file
    order) and cut, the others left in file order (the evaluators sort by score, ties in file order)."""
    by_image = defaultdict(list)
    for det in dets:
        by_image[det["image_id"]].append(det)
    kept = []
    for image_dets in by_image.values():
        kept += image_dets if len(image_dets) <= limit else sorted(image_dets, key=lambda d: -d["score"])[:limit]
    return kept
