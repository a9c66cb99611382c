"""The two synthetic data sets: an LVIS-shaped long-tail set and a balanced "synthetic COCO"."""

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from harness.algorithms.count_scaling import CountScaling
from harness.data.synthetic.build import SplitSpec, render_split
from harness.data.synthetic.catalogue import VisualCategory, choose_categories
from harness.data.synthetic.counts import (
    frequency_edges,
    frequency_group,
    sample_reference_counts,
    scaled_train_counts,
    val_counts,
)
from harness.data.synthetic.render import STUFF_CLASSES, THING_LABEL
from harness.data.synthetic.scenes import plan_images


@dataclass(frozen=True)
class SceneParams:
    """How images look (shared by both data sets)."""

    image_size: int
    object_size: tuple[float, float]  # half-extent range in pixels
    max_objects: int


@dataclass(frozen=True)
class LvisShapedParams:
    """Size and shape of the LVIS-shaped data set (see configs/profiles/*.yaml, ``synthetic.lvis``)."""

    num_categories: int
    min_categories_per_bin: int
    val_ratio: float
    val_min: int
    val_max: int
    not_exhaustive_fraction: float
    negatives_per_image: int


def make_lvis_shaped(reference_counts: list[int], params: LvisShapedParams, scene: SceneParams,
                     scaling: CountScaling, bin_thresholds: tuple[float, ...], out_dir: Path,
                     seed: int) -> tuple[dict, dict]:
    """Generate train and val in LVIS v0.5 format; images go under ``out_dir``.

    Steps: 1. sample reference counts along the LVIS rank curve (stratified by ``bin_thresholds``, on the reference scale);
    2. scale them; 3. choose visual categories and assign counts to them at random; 4. plan and
    render the images; 5. derive image counts, r/c/f frequencies and the metadata.
    """
    rng = np.random.default_rng(seed)
    reference = sample_reference_counts(reference_counts, params.num_categories, params.min_categories_per_bin,
                                        bin_thresholds)
    train_counts = scaled_train_counts(reference, scaling)
    visuals = choose_categories(params.num_categories, rng)
    order = rng.permutation(params.num_categories)
    categories = {i + 1: visuals[int(order[i])] for i in range(params.num_categories)}
    train_n = dict(zip(categories, train_counts))
    val_n = dict(zip(categories, val_counts(train_counts, params.val_ratio, params.val_min, params.val_max)))
    splits = {}
    for name, counts in (("train", train_n), ("val", val_n)):
        spec = SplitSpec(name, scene.image_size, scene.object_size, params.not_exhaustive_fraction,
                         params.negatives_per_image, federated=True)
        splits[name] = render_split(plan_images(counts, scene.max_objects, rng), categories, spec, out_dir, seed)
    category_records = _lvis_categories(categories, splits["train"][1], scaling)
    info = {
        "description": "bags-harness synthetic LVIS-shaped long-tail benchmark",
        "kind": "lvis",
        "seed": seed,
        "params": {**asdict(params), **asdict(scene)},
        **scale_info(scaling, bin_thresholds),
        "frequency_rule": dict(zip(("r_max_images", "c_max_images"), frequency_edges(scaling))),
        "reference_counts": dict(zip(categories, reference)),
        "stuff_classes": {"0": "thing", **{str(k): v[0] for k, v in STUFF_CLASSES.items()}},
    }
    return tuple(
        {"info": {**info, "split": name}, "licenses": [], "images": images, "annotations": anns,
         "categories": category_records}
        for name, (images, anns) in splits.items()
    )


def _lvis_categories(categories: dict[int, VisualCategory], train_anns: list[dict], scaling) -> list[dict]:
    instances = Counter(a["category_id"] for a in train_anns)
    images = Counter(cid for cid, _ in {(a["category_id"], a["image_id"]) for a in train_anns})
    return [
        {"id": cid, "name": v.name, "synset": v.synset, "synonyms": [v.name], "def": v.definition,
         "family": v.shape, "frequency": frequency_group(images[cid], scaling),
         "image_count": images[cid], "instance_count": instances[cid]}
        for cid, v in categories.items()
    ]


def scale_info(scaling: CountScaling, bin_thresholds: tuple[float, ...]) -> dict:
    """The metadata that bins, groups and evaluation read: the count scaling, the reference-scale bin
    edges (the profile's ``bins.thresholds``) and their images on this data set's scale."""
    return {"count_scaling": scaling.to_json(), "reference_bin_thresholds": list(bin_thresholds),
            "bin_thresholds": scaling.scale_thresholds(bin_thresholds)}


@dataclass(frozen=True)
class BalancedParams:
    """Size of the balanced "synthetic COCO" (``synthetic.coco`` in the profile)."""

    num_categories: int
    train_per_category: int
    val_per_category: int
    count_jitter: float  # train counts drawn uniformly in [1 - jitter, 1 + jitter] x train_per_category


def make_balanced_coco(params: BalancedParams, scene: SceneParams, scaling: CountScaling,
                       bin_thresholds: tuple[float, ...], out_dir: Path, seed: int) -> tuple[dict, dict]:
    """Generate a balanced COCO-format train/val pair (like COCO: similar counts for every category)."""
    rng = np.random.default_rng(seed)
    visuals = choose_categories(params.num_categories, rng)
    categories = {i + 1: v for i, v in enumerate(visuals)}
    low, high = (1 - params.count_jitter) * params.train_per_category, (1 + params.count_jitter) * params.train_per_category
    train_n = {cid: max(1, int(round(rng.uniform(low, high)))) for cid in categories}
    val_n = {cid: params.val_per_category for cid in categories}
    records = [{"id": cid, "name": v.name, "supercategory": v.shape} for cid, v in categories.items()]
    info = {"description": "bags-harness synthetic balanced COCO-style benchmark", "kind": "coco", "seed": seed,
            "params": {**asdict(params), **asdict(scene)}, **scale_info(scaling, bin_thresholds),
            "stuff_classes": {str(THING_LABEL): "thing", **{str(k): v[0] for k, v in STUFF_CLASSES.items()}}}
    result = []
    for name, counts in (("train", train_n), ("val", val_n)):
        spec = SplitSpec(name, scene.image_size, scene.object_size, federated=False)
        images, anns = render_split(plan_images(counts, scene.max_objects, rng), categories, spec, out_dir, seed)
        result.append({"info": {**info, "split": name}, "licenses": [], "images": images,
                       "annotations": anns, "categories": records})
    return tuple(result)
