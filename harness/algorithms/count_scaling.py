"""Log-linear maps of instance counts from a reference scale (the paper's) to a data set's scale.

    scale(n) = scaled_point * (n / reference_point) ** exponent

* Synthetic LVIS-shaped data: the paper bins at 10 / 100 / 1000 train instances (factor 10). A small
  benchmark keeps the shape of that split with its own first edge t_1 and factor r:
  reference_point = 10, scaled_point = t_1, exponent = log r / log 10, so 10 -> t_1, 100 -> t_1 r,
  1000 -> t_1 r^2, and every other reference edge (the N = 2 and N = 8 group edges, LVIS's r/c/f
  image-count edges) maps the same way.
* COCO-LT from a non-COCO source: the published profile's count range is mapped monotonically in log
  space onto the source's count range (see :mod:`harness.data.coco_lt`).
* Real data: the identity (reference_point = scaled_point, exponent = 1).

Because counts are integers, a real-valued edge e is equivalent to ceil(e) (n >= e <=> n >= ceil(e));
:meth:`CountScaling.scale_threshold` returns that integer.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CountScaling:
    """scale(n) = scaled_point * (n / reference_point) ** exponent."""

    reference_point: float = 1.0
    scaled_point: float = 1.0
    exponent: float = 1.0

    def __post_init__(self):
        if not (self.reference_point > 0 and self.scaled_point > 0 and self.exponent > 0):
            raise ValueError(f"count scaling needs positive parameters, got {self}")

    @classmethod
    def from_first_threshold(cls, first_threshold: float, ratio: float, reference_first: float = 10,
                             reference_ratio: float = 10) -> "CountScaling":
        """The map sending reference_first -> first_threshold and multiplying edges by ``ratio``."""
        if not ratio > 1:
            raise ValueError(f"ratio must be > 1, got {ratio}")
        return cls(reference_first, first_threshold, math.log(ratio) / math.log(reference_ratio))

    @classmethod
    def from_json(cls, payload: dict) -> "CountScaling":
        return cls(payload["reference_point"], payload["scaled_point"], payload["exponent"])

    def scale(self, count: float) -> float:
        """Real-valued image of a reference count."""
        return self.scaled_point * (count / self.reference_point) ** self.exponent

    def scale_count(self, count: float) -> int:
        """An integer count on the data set's scale: floor, so that for an integer edge
        E = scale(t) a count stays on its side of the edge (n < t <=> floor(scale(n)) < E); at least 1."""
        return max(1, math.floor(round(self.scale(count), 9)))

    def scale_threshold(self, threshold: float) -> int:
        """The integer threshold equivalent to the scaled real-valued edge."""
        return math.ceil(round(self.scale(threshold), 9))

    def scale_thresholds(self, thresholds) -> list[int]:
        return [self.scale_threshold(t) for t in thresholds]

    def to_json(self) -> dict:
        return {"reference_point": self.reference_point, "scaled_point": self.scaled_point,
                "exponent": self.exponent,
                "formula": "scale(n) = scaled_point * (n / reference_point) ** exponent; edges -> ceil"}
