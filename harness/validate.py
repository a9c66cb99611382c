"""Input validation, one function per file kind; every reader of such a file calls its function.

Each function takes what a reader parsed (JSON data, arrays, a checkpoint dict) and the path it came
from, and raises :class:`InputError` naming that path and the first bad field, so that a bad file is
one ``error:`` line and exit code 2 before any output is written. Checked: types, finiteness, ranges
and ids (unique, non-negative integers; references to listed images and categories).

    detections         LVIS/COCO results list        ground_truth        LVIS/COCO annotation file
    proposals          predict's proposals arrays    category_statistics counts per category
    checkpoint         an exported model             state_dict_fits     a checkpoint against a model
    bin_thresholds     count bin edges
"""

import math
from collections.abc import Mapping

import numpy as np

from harness.errors import InputError

MAX_ID = 2**63 - 1  # ids are 64-bit integers in the evaluator
LVIS_IMAGE_FIELDS = ("neg_category_ids", "not_exhaustive_category_ids")


def is_integer(value) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_finite_number(value) -> bool:
    """An int or float (not a bool) that is finite as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def shown(value, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def object_id(value, source, field: str) -> int:
    """A non-negative integer id (images, categories, annotations)."""
    if not is_integer(value) or not 0 <= value <= MAX_ID:
        raise InputError(source, field, f"must be a non-negative integer id, got {shown(value)}")
    return value


def _objects(data, key: str, source) -> list:
    """``data[key]``: a non-empty list of JSON objects."""
    if key not in data:
        raise InputError(source, key, "missing: not an LVIS/COCO annotation file")
    items = data[key]
    if not isinstance(items, list) or not items:
        raise InputError(source, key, "must be a non-empty list of objects")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(source, f"{key}[{i}]", f"must be an object, got {shown(item)}")
    return items


def _unique_ids(items: list[dict], key: str, source) -> set[int]:
    """The ``id`` of every object of ``items`` (the list ``key`` of the file); present, valid, unique."""
    ids = set()
    for i, item in enumerate(items):
        if "id" not in item:
            raise InputError(source, f"{key}[{i}].id", "missing")
        value = object_id(item["id"], source, f"{key}[{i}].id")
        if value in ids:
            raise InputError(source, f"{key}[{i}].id", f"id {value} appears more than once")
        ids.add(value)
    return ids


def box(value, source, field: str, allow_negative_size: bool = False) -> list:
    """An ``[x, y, w, h]`` box of finite numbers, ``w, h >= 0`` unless ``allow_negative_size``."""
    if not (isinstance(value, list) and len(value) == 4 and all(is_finite_number(v) for v in value)):
        raise InputError(source, field, f"must be [x, y, w, h] of finite numbers, got {shown(value)}")
    if (value[2] < 0 or value[3] < 0) and not allow_negative_size:
        raise InputError(source, field, f"negative width or height: {shown(value)}")
    return value


def segmentation(value, source, field: str) -> None:
    """Polygons (lists of finite x, y pairs) or an RLE ``{"size": [h, w], "counts": ...}``."""
    if isinstance(value, dict):
        size, counts = value.get("size"), value.get("counts")
        if not (isinstance(size, list) and len(size) == 2 and all(is_integer(v) and 0 <= v < 2**31 for v in size)):
            raise InputError(source, f"{field}.size", f"must be [height, width] of integers, got {shown(size)}")
        if not (isinstance(counts, str) or (isinstance(counts, list) and all(is_integer(c) and 0 <= c < 2**32
                                                                               for c in counts))):
            raise InputError(source, f"{field}.counts", "must be an RLE string or a list of run lengths")
        return
    if not isinstance(value, list) or not value:
        raise InputError(source, field, "must be a list of polygons or an RLE object")
    for k, polygon in enumerate(value):
        if not (isinstance(polygon, list) and polygon and len(polygon) % 2 == 0
                and all(is_finite_number(v) for v in polygon)):
            raise InputError(source, f"{field}[{k}]", "must be a polygon [x1, y1, x2, y2, ...] of finite numbers")


def ground_truth(data, source, with_segmentation: bool = False) -> dict:
    """An LVIS or COCO annotation file; returns ``data``.

    ``images`` and ``categories``: non-empty lists of objects with unique ids (images: integer width
    and height where given); ``annotations``: objects whose image and category are listed, with a
    ``bbox`` (:func:`box`), ``area`` >= 0, ``iscrowd`` 0/1 and ``segmentation`` where given (required
    with ``with_segmentation``: mask evaluation); the LVIS image fields on every image or on none
    (:func:`lvis_format`)."""
    if not isinstance(data, dict):
        raise InputError(source, None, "must be an object with images, annotations and categories (LVIS/COCO)")
    images = _unique_ids(_objects(data, "images", source), "images", source)
    categories = _unique_ids(_objects(data, "categories", source), "categories", source)
    for i, image in enumerate(data["images"]):
        for key in ("width", "height"):
            if key in image and not (is_integer(image[key]) and 0 <= image[key] < 2**31):
                raise InputError(source, f"images[{i}].{key}",
                                 f"must be a non-negative integer, got {shown(image[key])}")
    if "annotations" not in data or not isinstance(data["annotations"], list):
        raise InputError(source, "annotations", "missing or not a list: not an LVIS/COCO annotation file")
    if not isinstance(data.get("info", {}), dict):
        raise InputError(source, "info", f"must be an object, got {shown(data['info'])}")
    lvis_format(data, source, categories)
    for i, ann in enumerate(data["annotations"]):
        _annotation(ann, f"annotations[{i}]", images, categories, source)
        if with_segmentation and "segmentation" not in ann:
            raise InputError(source, f"annotations[{i}].segmentation", "missing: mask evaluation needs it")
    return data


def _annotation(ann, where: str, images: set, categories: set, source) -> None:
    if not isinstance(ann, dict):
        raise InputError(source, where, f"must be an object, got {shown(ann)}")
    for key, known, what in (("image_id", images, "an image"), ("category_id", categories, "a category")):
        if key not in ann:
            raise InputError(source, f"{where}.{key}", "missing")
        if object_id(ann[key], source, f"{where}.{key}") not in known:
            raise InputError(source, f"{where}.{key}", f"{ann[key]} is not {what} of the file")
    if "id" in ann:
        object_id(ann["id"], source, f"{where}.id")
    if "bbox" not in ann:
        raise InputError(source, f"{where}.bbox", "missing")
    box(ann["bbox"], source, f"{where}.bbox")
    if "area" in ann and not (is_finite_number(ann["area"]) and ann["area"] >= 0):
        raise InputError(source, f"{where}.area", f"must be a finite number >= 0, got {shown(ann['area'])}")
    if "iscrowd" in ann and not (is_integer(ann["iscrowd"]) and ann["iscrowd"] in (0, 1)):
        raise InputError(source, f"{where}.iscrowd", f"must be 0 or 1, got {shown(ann['iscrowd'])}")
    if "segmentation" in ann:
        segmentation(ann["segmentation"], source, f"{where}.segmentation")


def lvis_format(gt: dict, source, categories: set | None = None) -> bool:
    """Whether ground truth (validated images) is LVIS: its images carry ``neg_category_ids`` and
    ``not_exhaustive_category_ids``, lists of the file's category ids. On every image or on none: a
    file with them on some images only is an error naming the first image without them."""
    images = gt["images"]
    categories = categories if categories is not None else {c["id"] for c in gt["categories"]}
    with_fields = next((im for im in images if any(key in im for key in LVIS_IMAGE_FIELDS)), None)
    if with_fields is None:
        return False
    for i, image in enumerate(images):
        for key in LVIS_IMAGE_FIELDS:
            if key not in image:
                raise InputError(source, f"images[{i}].{key}", f"missing on image id {image['id']} while image id "
                                 f"{with_fields['id']} has it: LVIS ground truth has {' and '.join(LVIS_IMAGE_FIELDS)}"
                                 " on every image, COCO ground truth on none")
            ids = image[key]
            if not isinstance(ids, list):
                raise InputError(source, f"images[{i}].{key}", f"must be a list of category ids, got {shown(ids)}")
            for cid in ids:
                if object_id(cid, source, f"images[{i}].{key}") not in categories:
                    raise InputError(source, f"images[{i}].{key}", f"{cid} is not a category of the file")
    return True


def detections(data, gt: dict, source, iou_types: list[str], keep_degenerate: bool = False) -> list[dict]:
    """A results list against its (validated) ground truth; returns ``data``.

    Every entry: an object with ``image_id`` and ``category_id`` of the ground truth, a finite
    ``score``, a ``bbox`` (:func:`box`; negative sizes only with ``keep_degenerate``) for bbox
    evaluation, a ``segmentation`` (:func:`segmentation`) for segm evaluation."""
    if not isinstance(data, list):
        raise InputError(source, None, "must be a JSON list of detections")
    images = {im["id"] for im in gt["images"]}
    categories = {c["id"] for c in gt["categories"]}
    required = ("image_id", "category_id", "score", *(["bbox"] if "bbox" in iou_types else []),
                *(["segmentation"] if "segm" in iou_types else []))
    for i, det in enumerate(data):
        if not isinstance(det, dict):
            raise InputError(source, f"[{i}]", "each detection must be an object")
        for key in required:
            if key not in det:
                raise InputError(source, f"[{i}].{key}", "missing")
        _detection(det, f"[{i}]", images, categories, source, iou_types, keep_degenerate)
    return data


def _detection(det: dict, where: str, images: set, categories: set, source, iou_types, keep_degenerate) -> None:
    for key, known, what in (("image_id", images, "an image of the ground truth"),
                             ("category_id", categories, "a ground-truth category")):
        if not is_integer(det[key]):
            raise InputError(source, f"{where}.{key}", f"must be an integer, got {shown(det[key])}")
        if det[key] not in known:
            raise InputError(source, f"{where}.{key}", f"{det[key]!r} is not {what}")
    if not is_finite_number(det["score"]):
        raise InputError(source, f"{where}.score", f"must be a finite number, got {shown(det['score'])}")
    if "bbox" in det:
        try:
            box(det["bbox"], source, f"{where}.bbox", allow_negative_size=keep_degenerate)
        except InputError as err:
            negative = "negative" in err.problem
            hint = " (--keep-degenerate-boxes evaluates such boxes as lvis-api does)" if negative else ""
            raise InputError(source, err.field, err.problem + hint) from None
    if "segm" in iou_types:
        segmentation(det["segmentation"], source, f"{where}.segmentation")


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


def category_statistics(data, source) -> dict:
    """A category statistics file (``categories[]`` with ``id`` and ``instance_count``) or an annotation
    file (counts from its ``annotations``: objects with a listed ``category_id``, ``iscrowd`` 0/1);
    ``info.bin_thresholds`` (:func:`bin_thresholds`) and ``info.count_scaling`` where given.
    Returns ``data``."""
    if not isinstance(data, dict) or "categories" not in data:
        raise InputError(source, "categories", "missing: expected a top-level 'categories' list")
    categories = data["categories"]
    if not isinstance(categories, list) or not categories:
        raise InputError(source, "categories", "must be a non-empty list of category objects")
    ids = _unique_ids([c if isinstance(c, dict) else {} for c in categories], "categories", source)
    if "annotations" in data:
        _counted_annotations(data["annotations"], ids, source)
    else:
        for i, cat in enumerate(categories):
            _instance_count(cat, i, source)
    info = data.get("info", {})
    if not isinstance(info, dict):
        raise InputError(source, "info", f"must be an object, got {shown(info)}")
    if "bin_thresholds" in info:
        bin_thresholds(info["bin_thresholds"], source, "info.bin_thresholds")
    if info.get("count_scaling") is not None:
        _count_scaling(info["count_scaling"], source)
    return data


def _instance_count(cat: dict, index: int, source) -> None:
    field = f"categories[{index}].instance_count"
    if "instance_count" not in cat:
        raise InputError(source, field, f"missing for category id {cat['id']} (a category without counts)")
    count = cat["instance_count"]
    if not is_integer(count) or count < 0:
        raise InputError(source, field, f"must be a non-negative integer, got {shown(count)}")


def _counted_annotations(annotations, ids: set[int], source) -> None:
    if not isinstance(annotations, list):
        raise InputError(source, "annotations", "must be a list")
    for i, ann in enumerate(annotations):
        if not isinstance(ann, dict) or "category_id" not in ann:
            raise InputError(source, f"annotations[{i}].category_id", "missing")
        cid = ann["category_id"]
        if not is_integer(cid) or cid not in ids:
            raise InputError(source, f"annotations[{i}].category_id", f"{shown(cid)} is not a listed category id")
        if "iscrowd" in ann and not (is_integer(ann["iscrowd"]) and ann["iscrowd"] in (0, 1)):
            raise InputError(source, f"annotations[{i}].iscrowd", f"must be 0 or 1, got {shown(ann['iscrowd'])}")


def _count_scaling(scaling, source) -> None:
    keys = ("reference_point", "scaled_point", "exponent")
    if not isinstance(scaling, dict) or any(k not in scaling for k in keys):
        raise InputError(source, "info.count_scaling", f"malformed: must be an object with {', '.join(keys)}")
    for key in keys:
        if not (is_finite_number(scaling[key]) and scaling[key] > 0):
            raise InputError(source, f"info.count_scaling.{key}", f"must be a finite number > 0, got "
                                                                  f"{shown(scaling[key])}")


def bin_thresholds(values, source, field: str | None = None) -> tuple:
    """Count bin edges: a non-empty list of finite numbers > 0, strictly increasing
    (:func:`harness.algorithms.group_layout.validate_thresholds`); as a tuple."""
    from harness.algorithms.group_layout import validate_thresholds

    if not isinstance(values, (list, tuple)):
        raise InputError(source, field, f"must be a list of numbers, got {shown(values)}")
    try:
        return validate_thresholds(values)
    except ValueError as err:
        raise InputError(source, field, str(err)) from None


def checkpoint(data, source) -> dict:
    """An exported model: ``{"state_dict": {name: tensor}, "meta": {...}}`` (meta optional, {} when
    absent; its ``classes`` a list of names where given). Returns ``data``."""
    import torch

    if not isinstance(data, dict):
        raise InputError(source, None, f"not an exported model (a dict with state_dict), got {type(data).__name__}")
    state = data.get("state_dict")
    if not isinstance(state, Mapping):
        raise InputError(source, "state_dict", "missing or not a mapping of parameter names to tensors")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise InputError(source, f"state_dict.{key}", f"must be a tensor, got {type(value).__name__}")
    meta = data.setdefault("meta", {})
    if not isinstance(meta, dict):
        raise InputError(source, "meta", f"must be a dict, got {type(meta).__name__}")
    if "classes" in meta and not (isinstance(meta["classes"], (list, tuple))
                                  and all(isinstance(c, str) for c in meta["classes"])):
        raise InputError(source, "meta.classes", "must be a list of class names")
    return data


def state_dict_fits(expected: Mapping, given: Mapping, source, may_miss: tuple[str, ...] = ()) -> None:
    """A checkpoint's state dict ``given`` has exactly the keys and shapes of a model's ``expected``
    (keys ending in one of ``may_miss`` may be absent); else the first missing, unexpected or
    mismatched key is named: the checkpoint is of another architecture."""
    hint = "the checkpoint is of another architecture than the model config"
    for key, tensor in expected.items():
        if key not in given:
            if not (may_miss and key.endswith(may_miss)):
                raise InputError(source, f"state_dict.{key}", f"missing: {hint}")
        elif tuple(given[key].shape) != tuple(tensor.shape):
            raise InputError(source, f"state_dict.{key}", f"shape {tuple(given[key].shape)}, the model has "
                                                          f"{tuple(tensor.shape)}: {hint}")
    unexpected = next((key for key in given if key not in expected), None)
    if unexpected is not None:
        raise InputError(source, f"state_dict.{unexpected}", f"unexpected: {hint}")
