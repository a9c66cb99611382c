"""Unit outlines of the synthetic categories' shapes, as polygons in [-1, 1]^2 (counter-clockwise).

Every shape is a single simple polygon, so its instance mask is exactly one LVIS/COCO polygon.
"""

import math

import numpy as np


def _regular(sides: int, phase: float = math.pi / 2) -> np.ndarray:
    angles = phase + 2 * math.pi * np.arange(sides) / sides
    return np.stack([np.cos(angles), -np.sin(angles)], axis=1)


def _star(points: int = 5, inner: float = 0.45) -> np.ndarray:
    angles = math.pi / 2 + math.pi * np.arange(2 * points) / points
    radii = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return np.stack([radii * np.cos(angles), -radii * np.sin(angles)], axis=1)


def _cross(arm: float = 0.35) -> np.ndarray:
    a = arm
    return np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a], [a, 1], [-a, 1],
                     [-a, a], [-1, a], [-1, -a], [-a, -a]], dtype=float)


def _arrow() -> np.ndarray:
    return np.array([[-1, -0.35], [0.1, -0.35], [0.1, -0.9], [1, 0], [0.1, 0.9], [0.1, 0.35], [-1, 0.35]])


def _crescent(samples: int = 16) -> np.ndarray:
    outer = np.linspace(-math.pi / 2, math.pi / 2, samples)
    inner = outer[::-1]
    outer_pts = np.stack([np.cos(outer), np.sin(outer)], axis=1)
    inner_pts = np.stack([0.45 * np.cos(inner) + 0.05, np.sin(inner) * 0.92], axis=1)
    return np.concatenate([outer_pts, inner_pts]) - [0.25, 0]


def _semicircle(samples: int = 16) -> np.ndarray:
    angles = np.linspace(0, math.pi, samples)
    return np.stack([np.cos(angles), 0.5 - np.sin(angles) * 1.0], axis=1)


SHAPES: dict[str, np.ndarray] = {
    "circle": _regular(24),
    "square": _regular(4, math.pi / 4) / math.sqrt(0.5),
    "triangle": _regular(3),
    "diamond": _regular(4) * np.array([0.7, 1.0]),
    "pentagon": _regular(5),
    "hexagon": _regular(6),
    "star": _star(),
    "cross": _cross(),
    "arrow": _arrow(),
    "crescent": _crescent(),
    "semicircle": _semicircle(),
    "trapezoid": np.array([[-1, 0.7], [1, 0.7], [0.5, -0.7], [-0.5, -0.7]], dtype=float),
}


def place_polygon(shape: str, center: tuple[float, float], size: float, aspect: float, angle: float) -> np.ndarray:
    """Outline of one object in pixel coordinates.

    Args:
        shape: key of :data:`SHAPES`.
        center: (x, y) in pixels.
        size: half the object's extent along its longer side, in pixels.
        aspect: width / height stretch applied before rotation.
        angle: rotation in radians.

    Returns:
        (V, 2) float polygon vertices (x, y).
    """
    unit = SHAPES[shape]
    unit = unit / np.abs(unit).max()
    stretch = np.array([math.sqrt(aspect), 1 / math.sqrt(aspect)])
    scaled = unit * stretch / max(stretch) * size
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return scaled @ rotation.T + np.asarray(center, dtype=float)
