"""COCO-LT construction: sub-sample a COCO-format train set to the published COCO-LT count profile.

The COCO-LT split (SimCal, Wang, Li et al., ECCV 2020) was published only as an annotation file; its
sampling procedure was not. This is ours, deterministic given a seed:

1. **Targets.** On real COCO 2017 train (the source has the profile's 80 category ids), each
   category's target is its published COCO-LT instance count. On any other 80-category source, the
   profile's counts are assigned by rank (most frequent source category <- largest profile count) after
   a monotone log-space map of the profile's range [min, max] onto [min_count, the source's max]
   (:class:`CountScaling`); the profile's bin edges 20 / 400 / 8000 are mapped the same way (integer
   equivalent: ceil), and each target is clamped into its category's mapped bin, so bin membership is
   exactly the profile's 4 / 24 / 32 / 20.
2. **Drop whole images.** Visit images in a seeded random order; drop an image when every category in
   it stays at or above its target without it (images without annotations are dropped too).
3. **Ignore the surplus.** Where a category is still above target, turn randomly chosen annotations of
   it into ignore regions (``iscrowd = 1``): neither positives nor background in training.
4. **Clean up.** Drop images left with only ignore regions; report achieved vs target per category
   (achieved < target only if the source had too few instances).
"""

from collections import Counter, defaultdict

import numpy as np

from harness.algorithms.count_scaling import CountScaling
from harness.algorithms.group_layout import count_bin

PROFILE_BIN_EDGES = (20, 400, 8000)
# COCO 2017's 80 category ids; the COCO-LT profile numbers them 1..80 in this order.
COCO_2017_IDS = tuple(i for i in range(1, 91) if i not in {12, 26, 29, 30, 45, 66, 68, 69, 71, 83})


def positive_counts(annotations: list[dict]) -> Counter:
    return Counter(a["category_id"] for a in annotations if a.get("iscrowd", 0) != 1)


def is_coco_2017(source_ids: set[int]) -> bool:
    return source_ids == set(COCO_2017_IDS)


def targets_by_id(profile: dict[int, int], source_ids: set[int]) -> dict[int, int]:
    """Real COCO: the published count of every category (profile id k = k-th COCO id)."""
    if not is_coco_2017(source_ids):
        raise ValueError("matching by id needs COCO 2017's 80 category ids in the source")
    if sorted(profile) != list(range(1, 81)):
        raise ValueError("the COCO-LT profile must number its categories 1..80")
    return {coco_id: profile[k] for k, coco_id in enumerate(COCO_2017_IDS, start=1)}


def targets_by_rank(profile: dict[int, int], source: dict[int, int], min_count: int = 1):
    """Steps of 1 for a non-COCO source.

    Returns:
        (targets by source category id, the CountScaling used, integer-equivalent mapped bin edges).
    """
    if len(source) != len(profile):
        raise ValueError(f"source has {len(source)} categories, the COCO-LT profile {len(profile)}")
    low, high = min(profile.values()), max(profile.values())
    top = max(source.values())
    if top <= min_count:
        raise ValueError(f"source's largest category has {top} instances: no room for a long tail")
    scaling = CountScaling(low, min_count, np.log(top / min_count) / np.log(high / low))
    edges = scaling.scale_thresholds(PROFILE_BIN_EDGES)
    bounds = [min_count, *edges, top + 1]
    if any(lo >= hi for lo, hi in zip(bounds, bounds[1:])):
        raise ValueError(f"source count range [{min_count}, {top}] too small for 4 distinct COCO-LT bins {edges}")
    ranked_profile = sorted(profile.values(), reverse=True)
    ranked_source = sorted(source, key=lambda cid: (-source[cid], cid))
    targets = {}
    for cid, reference in zip(ranked_source, ranked_profile):
        k = count_bin(reference, PROFILE_BIN_EDGES)
        targets[cid] = int(np.clip(scaling.scale_count(reference), bounds[k], bounds[k + 1] - 1))
    return targets, scaling, edges


def subsample(dataset: dict, targets: dict[int, int], seed: int) -> dict:
    """Steps 2-4: a new COCO-format dict with the same categories and a subset of images."""
    rng = np.random.default_rng(seed)
    by_image: dict[int, list[dict]] = defaultdict(list)
    for ann in dataset["annotations"]:
        by_image[ann["image_id"]].append(ann)
    counts = positive_counts(dataset["annotations"])
    kept = []
    for index in rng.permutation(len(dataset["images"])):
        image = dataset["images"][int(index)]
        inside = positive_counts(by_image[image["id"]])
        if all(counts[c] - n >= targets.get(c, 0) for c, n in inside.items()):
            counts -= inside
        else:
            kept.append(image)
    annotations = [dict(a) for image in kept for a in by_image[image["id"]]]
    _ignore_surplus(annotations, counts, targets, rng)
    positive_images = {a["image_id"] for a in annotations if a.get("iscrowd", 0) != 1}
    kept = sorted((im for im in kept if im["id"] in positive_images), key=lambda im: im["id"])
    annotations = sorted((a for a in annotations if a["image_id"] in positive_images), key=lambda a: a["id"])
    return {**dataset, "images": kept, "annotations": annotations}


def _ignore_surplus(annotations: list[dict], counts: Counter, targets: dict[int, int], rng) -> None:
    by_category: dict[int, list[dict]] = defaultdict(list)
    for ann in annotations:
        if ann.get("iscrowd", 0) != 1:
            by_category[ann["category_id"]].append(ann)
    for cid, anns in sorted(by_category.items()):
        surplus = counts[cid] - targets.get(cid, 0)
        for index in rng.permutation(len(anns))[: max(0, surplus)]:
            anns[int(index)]["iscrowd"] = 1


def report(source: dict, result: dict, targets: dict[int, int], edges: list[float]) -> list[dict]:
    """Per category: source count, target, achieved, and the bin of the target (1-based)."""
    before, after = positive_counts(source["annotations"]), positive_counts(result["annotations"])
    names = {c["id"]: c.get("name", str(c["id"])) for c in source["categories"]}
    return [
        {"category_id": cid, "name": names[cid], "source_count": before[cid], "target": target,
         "achieved": after[cid], "bin": count_bin(target, edges) + 1}
        for cid, target in sorted(targets.items())
    ]
