"""Per-category training instance counts, from a statistics file or an LVIS/COCO annotation file.

Two input shapes are accepted (both JSON with a top-level ``categories`` list):

* a **statistics file** (no ``annotations`` key), e.g. LVIS v0.5's category list: every category
  carries ``id`` and ``instance_count`` (and optionally ``image_count``, ``frequency``, ``name``);
* an **annotation file** (has ``annotations``): counts are computed from the annotations, skipping
  crowd/ignore regions (``iscrowd == 1``), which are neither positives nor background in training.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.algorithms.count_scaling import CountScaling
from harness.errors import InputError
from harness.io import read_json


@dataclass(frozen=True)
class CategoryStats:
    """Train instance counts of a category set, ordered by ascending category id.

    Attributes:
        category_ids: (C,) ascending category ids.
        instance_counts: (C,) train instances per category, aligned with ``category_ids``.
        source: the file the counts came from (for error messages and provenance).
        count_scaling: the map from the paper's count scale to this data set's, when the file records
            one (``info.count_scaling`` of synthetic and COCO-LT annotation files).
        bin_thresholds: the evaluation bins the file records (``info.bin_thresholds``), if any.
    """

    category_ids: tuple[int, ...]
    instance_counts: tuple[int, ...]
    source: str
    count_scaling: CountScaling | None = None
    bin_thresholds: tuple[float, ...] | None = None

    def count_of(self) -> dict[int, int]:
        return dict(zip(self.category_ids, self.instance_counts))


def load_category_stats(path: str | Path) -> CategoryStats:
    """Load per-category train instance counts from a statistics or annotation file."""
    return category_stats_from_data(read_json(path, "category statistics / annotation file"), path)


def category_stats_from_data(data, path: str | Path) -> CategoryStats:
    """:func:`load_category_stats` for a file already read (``path`` names it in errors)."""
    categories = _category_list(data, path)
    ids = [_category_id(cat, i, path) for i, cat in enumerate(categories)]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise InputError(path, "categories[].id", f"category id {duplicate} appears more than once")
    if "annotations" in data:
        counts = _counts_from_annotations(data["annotations"], set(ids), path)
    else:
        counts = {cid: _instance_count(cat, i, path) for i, (cid, cat) in enumerate(zip(ids, categories))}
    ordered = sorted(ids)
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    thresholds = tuple(info["bin_thresholds"]) if "bin_thresholds" in info else None
    return CategoryStats(tuple(ordered), tuple(counts.get(c, 0) for c in ordered), str(path), _scaling(data, path),
                         thresholds)


def _scaling(data: dict, path) -> CountScaling | None:
    info = data.get("info")
    scaling = info.get("count_scaling") if isinstance(info, dict) else None
    if scaling is None:
        return None
    try:
        return CountScaling.from_json(scaling)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(path, "info.count_scaling", f"malformed: {err}") from None


def _category_list(data, path) -> list:
    if not isinstance(data, dict) or "categories" not in data:
        raise InputError(path, "categories", "missing: expected a top-level 'categories' list")
    categories = data["categories"]
    if not isinstance(categories, list) or not categories:
        raise InputError(path, "categories", "must be a non-empty list of category objects")
    return categories


def _category_id(cat, index: int, path) -> int:
    if not isinstance(cat, dict) or "id" not in cat:
        raise InputError(path, f"categories[{index}].id", "missing")
    cid = cat["id"]
    if not isinstance(cid, int) or isinstance(cid, bool):
        raise InputError(path, f"categories[{index}].id", f"must be an integer, got {cid!r}")
    return cid


def _instance_count(cat: dict, index: int, path) -> int:
    field = f"categories[{index}].instance_count"
    if "instance_count" not in cat:
        raise InputError(path, field, f"missing for category id {cat['id']} (a category without counts)")
    count = cat["instance_count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise InputError(path, field, f"must be a non-negative integer, got {count!r}")
    return count


def _counts_from_annotations(annotations, known_ids: set[int], path) -> dict[int, int]:
    if not isinstance(annotations, list):
        raise InputError(path, "annotations", "must be a list")
    counts: Counter[int] = Counter()
    for i, ann in enumerate(annotations):
        if not isinstance(ann, dict) or "category_id" not in ann:
            raise InputError(path, f"annotations[{i}].category_id", "missing")
        cid = ann["category_id"]
        if cid not in known_ids:
            raise InputError(path, f"annotations[{i}].category_id", f"{cid!r} is not a listed category id")
        if ann.get("iscrowd", 0) != 1:
            counts[cid] += 1
    return dict(counts)
