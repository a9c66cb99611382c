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
from harness.io import read_json
from harness.validate import category_statistics


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
    """:func:`load_category_stats` for a file already read (``path`` names it in errors); checked by
    :func:`harness.validate.category_statistics`."""
    category_statistics(data, path)
    categories = data["categories"]
    ids = [cat["id"] for cat in categories]
    if "annotations" in data:
        counts = Counter(a["category_id"] for a in data["annotations"] if a.get("iscrowd", 0) != 1)
    else:
        counts = {cat["id"]: cat["instance_count"] for cat in categories}
    ordered = sorted(ids)
    info = data.get("info", {})
    thresholds = tuple(info["bin_thresholds"]) if "bin_thresholds" in info else None
    scaling = CountScaling.from_json(info["count_scaling"]) if info.get("count_scaling") is not None else None
    return CategoryStats(tuple(ordered), tuple(counts.get(c, 0) for c in ordered), str(path), scaling, thresholds)
