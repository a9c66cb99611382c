"""LVIS/COCO annotation files (ground truth) and results lists (detections)."""

from harness.errors import InputError
from harness.validate.values import box, is_finite_number, is_integer, object_id, segmentation, shown, unique_ids

LVIS_IMAGE_FIELDS = ("neg_category_ids", "not_exhaustive_category_ids")


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


def ground_truth(data, source, with_segmentation: bool = False) -> dict:
    """An LVIS or COCO annotation file; returns ``data``.

    ``images`` and ``categories``: non-empty lists of objects with unique ids (images: integer width
    and height where given); ``annotations``: objects whose image and category are listed, with a
    ``bbox`` (:func:`box`), ``area`` >= 0, ``iscrowd`` 0/1 and ``segmentation`` where given (required
    with ``with_segmentation``: mask evaluation); the LVIS image fields on every image or on none
    (:func:`lvis_format`)."""
    if not isinstance(data, dict):
        raise InputError(source, None, "must be an object with images, annotations and categories (LVIS/COCO)")
    images = unique_ids(_objects(data, "images", source), "images", source)
    categories = unique_ids(_objects(data, "categories", source), "categories", source)
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
                other = next((im for im in images if key in im), with_fields)
                raise InputError(source, f"images[{i}].{key}", f"missing on image id {image['id']}, while image id "
                                 f"{other['id']} has {'it' if key in other else 'the other LVIS field'}: LVIS "
                                 f"ground truth has {' and '.join(LVIS_IMAGE_FIELDS)} on every image, COCO ground "
                                 "truth on none")
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
