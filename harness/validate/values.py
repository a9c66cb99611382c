"""Checks of single values shared by the file kinds: numbers, ids, boxes, segmentations."""

import math

from harness.algorithms.numbers import is_finite_number  # noqa: F401  (re-exported: validate's number check)
from harness.errors import InputError

MAX_ID = 2**63 - 1  # ids are 64-bit integers in the evaluator


def is_integer(value) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def finite_numbers(values: list) -> bool:
    """Every value an int or float (not a bool) and finite; one pass, for long coordinate lists."""
    if not all(type(v) is float or type(v) is int for v in values):
        return False
    try:
        return math.isfinite(math.fsum(values))
    except (OverflowError, ValueError):  # a sum beyond a float, or -inf + inf: look at each
        return all(is_finite_number(v) for v in values)


def shown(value, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def object_id(value, source, field: str) -> int:
    """A non-negative integer id (images, categories, annotations)."""
    if not is_integer(value) or not 0 <= value <= MAX_ID:
        raise InputError(source, field, f"must be a non-negative integer id, got {shown(value)}")
    return value


def unique_ids(items: list[dict], key: str, source) -> set[int]:
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
    if not (isinstance(value, list) and len(value) == 4 and finite_numbers(value)):
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
        if not (isinstance(polygon, list) and polygon and len(polygon) % 2 == 0 and finite_numbers(polygon)):
            raise InputError(source, f"{field}[{k}]", "must be a polygon [x1, y1, x2, y2, ...] of finite numbers")
