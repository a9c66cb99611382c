"""Rendering a planned split to PNG files and LVIS/COCO-format records."""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from harness.data.synthetic.catalogue import VisualCategory
from harness.data.synthetic.render import THING_LABEL, draw_object, render_background
from harness.data.synthetic.scenes import box_of, place_objects


@dataclass(frozen=True)
class SplitSpec:
    """How one split is drawn.

    Attributes:
        name: "train" or "val"; also the image sub-folder.
        image_size: square image side in pixels.
        size_range: object half-extent range in pixels.
        not_exhaustive_fraction: share of images that get one extra, unannotated instance of an
            annotated category, listed in ``not_exhaustive_category_ids`` (LVIS federated labels).
        negatives_per_image: categories verified absent, listed in ``neg_category_ids``.
        federated: write LVIS's image-level fields (False for COCO format).
    """

    name: str
    image_size: int
    size_range: tuple[float, float]
    not_exhaustive_fraction: float = 0.0
    negatives_per_image: int = 0
    federated: bool = True


def render_split(plan: list[list[int]], categories: dict[int, VisualCategory], spec: SplitSpec,
                 out_dir: Path, seed: int, first_image_id: int = 1) -> tuple[list[dict], list[dict]]:
    """Draw every planned image; write ``images/<split>/*.png`` and ``stuff/<split>/*.png``.

    Returns:
        (images, annotations) as LVIS (``spec.federated``) or COCO records.
    """
    for sub in ("images", "stuff"):
        (out_dir / sub / spec.name).mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for offset, members in enumerate(plan):
        image_id = first_image_id + offset
        rng = np.random.default_rng([seed, 0 if spec.name == "train" else 1, image_id])
        record, anns = _render_image(image_id, members, categories, spec, out_dir, rng)
        for ann in anns:
            ann["id"] = len(annotations) + 1
            annotations.append(ann)
        images.append(record)
    return images, annotations


def _render_image(image_id, members, categories, spec, out_dir, rng):
    extra = None
    if spec.federated and rng.random() < spec.not_exhaustive_fraction:
        extra = int(members[int(rng.integers(len(members)))])
    drawn = [*members, extra] if extra is not None else list(members)
    image, stuff = render_background(spec.image_size, rng)
    polygons = place_objects([categories[c].shape for c in drawn], spec.image_size, spec.size_range, rng)
    anns = []
    for index, (cid, polygon) in enumerate(zip(drawn, polygons)):
        mask = draw_object(image, polygon, categories[cid].colour, categories[cid].pattern, rng)
        stuff[mask] = THING_LABEL
        if extra is not None and index == len(drawn) - 1:
            continue  # the unannotated instance of a not-exhaustively labelled category
        anns.append(_annotation(image_id, cid, polygon, spec))
    file_name = f"{spec.name}/{image_id:06d}.png"
    cv2.imwrite(str(out_dir / "images" / file_name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(out_dir / "stuff" / file_name), stuff)
    record = {"id": image_id, "file_name": file_name, "width": spec.image_size, "height": spec.image_size}
    if spec.federated:
        present = set(drawn)
        absent = [c for c in categories if c not in present]
        k = min(spec.negatives_per_image, len(absent))
        record["neg_category_ids"] = sorted(int(c) for c in rng.choice(absent, size=k, replace=False)) if k else []
        record["not_exhaustive_category_ids"] = [extra] if extra is not None else []
    return record, anns


def _annotation(image_id: int, cid: int, polygon: np.ndarray, spec: SplitSpec) -> dict:
    x0, y0, x1, y1 = (float(v) for v in box_of(polygon))
    ann = {
        "image_id": image_id,
        "category_id": int(cid),
        "bbox": [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)],
        "area": round(float(cv2.contourArea(polygon.astype(np.float32))), 2),
        "segmentation": [[round(float(v), 2) for v in polygon.reshape(-1)]],
    }
    if not spec.federated:
        ann["iscrowd"] = 0
    return ann
