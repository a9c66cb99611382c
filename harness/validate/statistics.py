"""Category statistics (per-category train instance counts) and count bin thresholds."""

from harness.errors import InputError
from harness.validate.values import is_finite_number, is_integer, shown, unique_ids

MAX_COUNT = 2**53  # instance counts are scaled in floating point (exact up to 2**53)


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
    ids = unique_ids([c if isinstance(c, dict) else {} for c in categories], "categories", source)
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
    if not is_integer(count) or not 0 <= count <= MAX_COUNT:
        raise InputError(source, field, f"must be a non-negative integer (at most 2**53), got {shown(count)}")


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
