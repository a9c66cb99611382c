"""Repeat factor sampling (RFS; Gupta et al., LVIS, CVPR 2019), framework-free.

    f_c = (#images containing category c) / (#images, including images without annotations)
    r_c = max(1, sqrt(t / f_c))
    r_i = max over the categories c of image i of r_c   (1 for an image without categories)

Each epoch, image i is drawn floor(r_i) times plus once more with probability r_i - floor(r_i)
(stochastic rounding, expected count r_i), as in the LVIS paper. The BAGS code instead appends
ceil(r_i) extra copies deterministically (docs/paper-release-and-us.md#transferred-methods); this
module follows the paper.

The paper's t = 0.001 is a fraction of LVIS v0.5's train images; :func:`scaled_threshold` carries it to
a smaller benchmark through the benchmark's count scaling.
"""

import math
from collections import Counter
from typing import Callable

import numpy as np


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")


def category_repeat_factors(image_categories: list[set[int]], threshold: float) -> dict[int, float]:
    """r_c for every category present in ``image_categories`` (one set of category ids per image, I sets).

    Categories that occur in no image are absent from the result.
    """
    _check_threshold(threshold)
    if not image_categories:
        raise ValueError("image_categories is empty: repeat factors need at least one image")
    image_counts = Counter(category for categories in image_categories for category in set(categories))
    num_images = len(image_categories)
    return {category: max(1.0, math.sqrt(threshold * num_images / count))
            for category, count in sorted(image_counts.items())}


def image_repeat_factors(image_categories: list[set[int]], category_factors: dict[int, float]) -> np.ndarray:
    """r_i, float array of shape (I,): the largest r_c over the image's categories, 1.0 without categories."""
    if not image_categories:
        raise ValueError("image_categories is empty: repeat factors need at least one image")
    return np.array([max((category_factors[c] for c in categories), default=1.0)
                     for categories in image_categories], dtype=np.float64)


def stochastic_repeats(factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integer repeat counts, shape (I,) from factors of shape (I,).

    floor(r_i), plus 1 with probability r_i - floor(r_i); the expected count is r_i.
    """
    factors = np.asarray(factors, dtype=np.float64)
    whole = np.floor(factors)
    extra = rng.random(factors.shape) < factors - whole
    return whole.astype(np.int64) + extra


def epoch_indices(factors: np.ndarray, rng: np.random.Generator, *, shuffle: bool = True) -> np.ndarray:
    """One epoch's image indices, int array of shape (sum of the drawn repeats,).

    Index i appears ``stochastic_repeats(factors, rng)[i]`` times; the result is shuffled with ``rng``
    (after the repeats are drawn) unless ``shuffle`` is False, in which case it is in ascending order.
    """
    repeats = stochastic_repeats(factors, rng)
    indices = np.repeat(np.arange(len(repeats), dtype=np.int64), repeats)
    return rng.permutation(indices) if shuffle else indices


def scaled_threshold(threshold: float, reference_images: int, train_images: int,
                     scale: Callable[[float], float]) -> float:
    """The RFS threshold for a data set of ``train_images`` images, from one set on a reference data set.

    threshold * reference_images is the threshold as an image count on the reference data set
    (0.001 * 57263 LVIS v0.5 train images = 57.3 images); ``scale`` maps that count to the benchmark's
    scale (e.g. ``CountScaling.scale``), and dividing by ``train_images`` makes it a fraction again.
    """
    _check_threshold(threshold)
    if reference_images < 1 or train_images < 1:
        raise ValueError(f"image counts must be positive, got reference_images={reference_images}, "
                         f"train_images={train_images}")
    scaled_count = scale(threshold * reference_images)
    result = scaled_count / train_images
    if not 0 < result <= 1:
        raise ValueError(f"scaled threshold {result} ({scaled_count} of {train_images} train images) "
                         "is outside (0, 1]")
    return result
