"""Packing category instances into images, and placing them inside an image."""

import math

import numpy as np

from harness.data.synthetic.shapes import place_polygon


def cluster_sizes(count: int, rng: np.random.Generator, max_cluster: int) -> list[int]:
    """Split a category's instances into per-image groups; frequent categories cluster more
    (mean group size grows with log2(count), as frequent LVIS categories repeat within images)."""
    mean = min(max_cluster, 1 + 0.25 * math.log2(max(count, 1)))
    sizes, left = [], count
    while left:
        sizes.append(int(min(left, max_cluster, rng.geometric(1 / mean))))
        left -= sizes[-1]
    return sizes


def plan_images(counts: dict[int, int], max_objects: int, rng: np.random.Generator) -> list[list[int]]:
    """Assign every instance to an image so that each category has exactly ``counts[c]`` instances.

    Clusters of one category go to an image whole; each image has a random capacity in
    [1, max_objects] and never holds two clusters of the same category.

    Returns:
        One list of category ids (with repeats) per image.
    """
    clusters = [(cid, size) for cid, n in counts.items() for size in cluster_sizes(n, rng, max_objects)]
    order = rng.permutation(len(clusters))
    images: list[list[int]] = []
    capacity: list[int] = []
    for index in order:
        cid, size = clusters[index]
        for slot, members in enumerate(images):
            if len(members) + size <= capacity[slot] and cid not in members:
                members.extend([cid] * size)
                break
        else:
            images.append([cid] * size)
            capacity.append(max(size, int(rng.integers(1, max_objects + 1))))
    return [images[i] for i in rng.permutation(len(images))]


def box_of(polygon: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a polygon."""
    return (*polygon.min(axis=0), *polygon.max(axis=0))


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def place_objects(shapes: list[str], image_size: int, size_range: tuple[float, float],
                  rng: np.random.Generator, max_iou: float = 0.3, tries: int = 20) -> list[np.ndarray]:
    """Polygons for the given shapes, inside the image, overlapping each other with box IoU <= max_iou
    where possible (after ``tries`` attempts the last candidate is kept: some scenes are crowded)."""
    placed: list[np.ndarray] = []
    for shape in shapes:
        for _ in range(tries):
            size = float(rng.uniform(*size_range))
            polygon = place_polygon(shape, (0.0, 0.0), size, float(rng.uniform(0.75, 1.33)),
                                    float(rng.uniform(0, 2 * math.pi)))
            low, high = polygon.min(axis=0), polygon.max(axis=0)
            offset = rng.uniform(-low, image_size - 1 - high)
            polygon = polygon + offset
            if all(iou(box_of(polygon), box_of(other)) <= max_iou for other in placed):
                break
        placed.append(polygon)
    return placed
