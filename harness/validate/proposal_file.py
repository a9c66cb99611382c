"""Predict's proposals file: the arrays image_ids, boxes and labels against the ground truth."""

from collections.abc import Mapping

import numpy as np

from harness.errors import InputError
from harness.validate.values import MAX_ID


def proposals(arrays: Mapping, gt: dict, source) -> dict[str, np.ndarray]:
    """Predict's proposals (``image_ids`` (P,), ``boxes`` (P, 4) finite, ``labels`` (P,)) against the
    (validated) ground truth: integer ids of its images, labels 0 (background) or its categories.
    Returns the arrays as int64 / float64."""
    image_ids = _integer_array(arrays["image_ids"], source, "image_ids")
    labels = _integer_array(arrays["labels"], source, "labels")
    boxes = np.asarray(arrays["boxes"])
    if boxes.ndim != 2 or boxes.shape[1] != 4 or boxes.dtype.kind not in "iuf":
        raise InputError(source, "boxes", f"must be numbers of shape (P, 4), got {boxes.dtype} {boxes.shape}")
    if not np.isfinite(boxes).all():
        raise InputError(source, "boxes", "not finite: a proposal box has a NaN or infinite coordinate")
    for name, array in (("boxes", boxes), ("labels", labels)):
        if len(array) != len(image_ids):
            raise InputError(source, name, f"{len(array)} entries for {len(image_ids)} proposals (image_ids)")
    unknown = sorted(set(image_ids.tolist()) - {im["id"] for im in gt["images"]})
    if unknown:
        raise InputError(source, "image_ids", f"{unknown[0]} is not an image of the ground truth")
    unknown = sorted(set(labels.tolist()) - {c["id"] for c in gt["categories"]} - {0})
    if unknown:
        raise InputError(source, "labels", f"{unknown[0]} is neither background (0) nor a ground-truth category")
    return {"image_ids": image_ids, "boxes": boxes.astype(np.float64), "labels": labels}


def _integer_array(value, source, field: str) -> np.ndarray:
    """A 1-D array of non-negative integer ids (integral floats accepted), as int64."""
    array = np.asarray(value)
    if array.ndim != 1:
        raise InputError(source, field, f"must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind == "f" and np.isfinite(array).all() and (array == np.round(array)).all():
        array = array.astype(np.float64)
    elif array.dtype.kind not in "iu":
        raise InputError(source, field, f"must be integers, got {array.dtype}")
    if array.size and (array.min() < 0 or array.max() > MAX_ID):
        raise InputError(source, field, "must be non-negative integer ids")
    return array.astype(np.int64)
