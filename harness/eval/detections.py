"""Detections in LVIS/COCO results format: the per-image limit of the evaluation (checked by
:func:`harness.validate.detections`)."""

from collections import defaultdict

MAX_DETS_PER_IMAGE = 300  # LVIS: keep the top 300 detections of every image (lvis-api's LVISResults)


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
