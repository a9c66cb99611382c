"""Drawing synthetic scenes: cluttered stuff backgrounds with a semantic map, then patterned objects.

All functions work on numpy arrays: images are (H, W, 3) uint8 RGB, maps are (H, W) uint8.
"""

import math

import cv2
import numpy as np

from harness.data.synthetic.catalogue import COLOURS

# Background ("stuff") classes of the semantic map; 0 marks pixels covered by an object.
STUFF_CLASSES: dict[int, tuple[str, tuple[int, int, int]]] = {
    1: ("sky", (125, 150, 180)),
    2: ("grass", (95, 120, 80)),
    3: ("sand", (175, 160, 130)),
    4: ("wall", (135, 125, 120)),
}
THING_LABEL = 0


def render_background(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A background split into 2-4 stuff regions (Voronoi cells), textured with noise and clutter.

    Returns:
        image: (size, size, 3) uint8; stuff_map: (size, size) uint8 with values in STUFF_CLASSES.
    """
    seeds = rng.uniform(0, size, size=(int(rng.integers(2, 5)), 2))
    classes = rng.choice(list(STUFF_CLASSES), size=len(seeds))
    ys, xs = np.mgrid[0:size, 0:size]
    distance = (xs[None] - seeds[:, 0, None, None]) ** 2 + (ys[None] - seeds[:, 1, None, None]) ** 2
    stuff_map = classes[distance.argmin(axis=0)].astype(np.uint8)
    palette = np.array([STUFF_CLASSES.get(k, ("", (0, 0, 0)))[1] for k in range(max(STUFF_CLASSES) + 1)])
    image = palette[stuff_map].astype(np.float32)
    image += rng.normal(0, 9, size=image.shape)
    _draw_clutter(image, size, rng)
    return np.clip(image, 0, 255).astype(np.uint8), stuff_map


def _draw_clutter(image: np.ndarray, size: int, rng: np.random.Generator) -> None:
    """Low-saturation lines and blobs: background structure that is not any category."""
    for _ in range(int(rng.integers(2, 6))):
        grey = float(rng.uniform(60, 200))
        colour = tuple(float(grey + rng.uniform(-15, 15)) for _ in range(3))
        if rng.random() < 0.5:
            p1 = tuple(int(v) for v in rng.integers(0, size, 2))
            p2 = tuple(int(v) for v in rng.integers(0, size, 2))
            cv2.line(image, p1, p2, colour, thickness=int(rng.integers(1, 3)))
        else:
            centre = tuple(int(v) for v in rng.integers(0, size, 2))
            axes = tuple(int(v) for v in rng.integers(1, max(2, size // 12), 2))
            cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)


def pattern_mask(pattern: str, shape_hw: tuple[int, int], period: float, angle: float) -> np.ndarray:
    """Where the secondary (dark) colour goes: (H, W) bool for 'striped', 'dotted', 'checkered'."""
    ys, xs = np.mgrid[0 : shape_hw[0], 0 : shape_hw[1]].astype(np.float32)
    u = xs * math.cos(angle) + ys * math.sin(angle)
    v = -xs * math.sin(angle) + ys * math.cos(angle)
    if pattern == "solid":
        return np.zeros(shape_hw, dtype=bool)
    if pattern == "striped":
        return (u / period) % 2 < 1
    if pattern == "checkered":
        return (np.floor(u / period) + np.floor(v / period)) % 2 == 0
    if pattern == "dotted":
        du = (u % (2 * period)) - period
        dv = (v % (2 * period)) - period
        return du**2 + dv**2 < (0.55 * period) ** 2
    raise ValueError(f"unknown pattern {pattern!r}")


def draw_object(image: np.ndarray, polygon: np.ndarray, colour: str, pattern: str,
                rng: np.random.Generator) -> np.ndarray:
    """Paint one object in place and return its (H, W) bool mask.

    Args:
        image: (H, W, 3) uint8, modified in place.
        polygon: (V, 2) vertices (x, y) in pixels.
        colour: key of COLOURS; jittered per instance.
        pattern: fill pattern; the pattern colour is a darker shade of the main colour.
    """
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    mask = mask.astype(bool)
    base = np.clip(np.array(COLOURS[colour], dtype=np.float32) + rng.uniform(-18, 18, 3), 0, 255)
    extent = np.ptp(polygon, axis=0).max()
    period = max(1.5, float(extent) / rng.uniform(4.0, 6.0))
    dark = pattern_mask(pattern, image.shape[:2], period, float(rng.uniform(0, math.pi)))
    fill = np.where(dark[..., None], base * 0.4, base)
    fill = fill + rng.normal(0, 6, size=fill.shape)
    image[mask] = np.clip(fill[mask], 0, 255).astype(np.uint8)
    return mask
