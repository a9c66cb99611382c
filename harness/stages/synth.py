"""Stage ``synth``: render the embedded benchmark (LVIS-shaped long-tail set or balanced synthetic COCO).

    python -m harness synth --kind lvis --reference-stats STATS.json --train-json T.json --val-json V.json \
        --images DIR --stuff DIR --meta META.json [size options] --seed 0
    python -m harness synth --kind coco --train-json ... [size options] --seed 0
"""

import argparse
import math
import shutil
import time
from pathlib import Path

from harness.errors import InputError
from harness.io import write_json_atomic
from harness.provenance import StageRecord
from harness.validate import bin_thresholds

HELP = "render the synthetic benchmark: LVIS-shaped long-tail (--kind lvis) or balanced COCO-style (--kind coco)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("outputs")
    parser.add_argument("--kind", required=True, choices=["lvis", "coco"], help="lvis: the long-tail set; coco: the balanced one")
    parser.add_argument("--seed", required=True, type=int, help="seed of everything drawn (categories, counts, scenes)")
    out.add_argument("--train-json", required=True, help="train annotations")
    out.add_argument("--val-json", required=True, help="val annotations")
    out.add_argument("--images", required=True, help="folder for images/<split>/*.png (replaced)")
    out.add_argument("--stuff", required=True, help="folder for the semantic stuff maps <split>/*.png (replaced)")
    out.add_argument("--meta", required=True, help="provenance (meta.json)")
    scene = parser.add_argument_group("scene")
    scene.add_argument("--image-size", type=int, default=64, help="square image side in pixels")
    scene.add_argument("--object-size", type=float, nargs=2, default=(5.0, 16.0), metavar=("MIN", "MAX"),
                       help="object half-extent range in pixels")
    scene.add_argument("--max-objects", type=int, default=6, help="objects per image at most")
    scale = parser.add_argument_group("count scaling (recorded in the metadata; bins and groups use it)")
    scale.add_argument("--first-threshold", type=float, default=4, help="where the paper's 10-instance edge lands")
    scale.add_argument("--ratio", type=float, default=4, help="factor between consecutive bin edges (paper: 10)")
    scale.add_argument("--bin-thresholds", type=float, nargs="+", default=None, metavar="T",
                       help="instance-count bin edges on the paper's scale, mapped by the count scaling "
                            "(the profile's bins.thresholds; default: 10 100 1000)")
    lvis = parser.add_argument_group("--kind lvis")
    lvis.add_argument("--reference-stats", help="real LVIS category statistics whose rank curve is followed")
    lvis.add_argument("--num-categories", type=int, default=40, help="number of categories (both kinds)")
    lvis.add_argument("--min-categories-per-bin", type=int, default=5, help="categories in each instance-count bin at least")
    lvis.add_argument("--val-ratio", type=float, default=0.5, help="val instances per train instance of a category")
    lvis.add_argument("--val-min", type=int, default=3, help="val instances per category at least")
    lvis.add_argument("--val-max", type=int, default=12, help="val instances per category at most")
    lvis.add_argument("--not-exhaustive-fraction", type=float, default=0.1, help="share of (image, category) pairs marked not exhaustively annotated")
    lvis.add_argument("--negatives-per-image", type=int, default=3, help="categories verified absent per image (neg_category_ids)")
    coco = parser.add_argument_group("--kind coco")
    coco.add_argument("--train-per-category", type=int, default=60, help="train instances per category (before jitter)")
    coco.add_argument("--val-per-category", type=int, default=8, help="val instances per category")
    coco.add_argument("--count-jitter", type=float, default=0.2, help="train counts drawn in [1 - j, 1 + j] x the mean")


def run(args: argparse.Namespace) -> None:
    from harness.data.synthetic.datasets import SceneParams

    _check_like_the_profile(args)
    _check_sizes(args)
    scene = SceneParams(args.image_size, tuple(args.object_size), args.max_objects)
    record = StageRecord.for_command("synth", args, seed=args.seed)
    work = Path(args.images).parent / f".synth-{Path(args.images).name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    try:
        train, val = _generate(args, scene, work)
        for final, sub in ((Path(args.images), "images"), (Path(args.stuff), "stuff")):
            shutil.rmtree(final, ignore_errors=True)
            final.parent.mkdir(parents=True, exist_ok=True)
            (work / sub).rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_json_atomic(args.train_json, train, indent=None)
    write_json_atomic(args.val_json, val, indent=None)
    record.write(args.meta, train_images=len(train["images"]), train_instances=len(train["annotations"]),
                 val_images=len(val["images"]), val_instances=len(val["annotations"]))
    print(f"synth ({args.kind}): train {len(train['images'])} images / {len(train['annotations'])} instances, "
          f"val {len(val['images'])} / {len(val['annotations'])}, {len(train['categories'])} categories, "
          f"{time.time() - record.start:.1f} s")


def _generate(args, scene, work: Path):
    from harness.algorithms.count_scaling import CountScaling
    from harness.algorithms.group_layout import PAPER_BIN_THRESHOLDS
    from harness.data.category_stats import load_category_stats
    from harness.data.synthetic.datasets import (
        BalancedParams, LvisShapedParams, make_balanced_coco, make_lvis_shaped)

    try:
        scaling = CountScaling.from_first_threshold(args.first_threshold, args.ratio)
    except ValueError as err:
        raise InputError("--first-threshold/--ratio", None, str(err)) from None
    thresholds = tuple(int(t) if float(t).is_integer() else t  # 10.0 -> 10: the files record it as given
                       for t in bin_thresholds(args.bin_thresholds or PAPER_BIN_THRESHOLDS, "--bin-thresholds"))
    if args.kind == "coco":
        params = BalancedParams(args.num_categories, args.train_per_category, args.val_per_category, args.count_jitter)
        return make_balanced_coco(params, scene, scaling, thresholds, work, args.seed)
    if not args.reference_stats:
        raise InputError("--reference-stats", None, "required with --kind lvis")
    reference = load_category_stats(args.reference_stats).instance_counts
    params = LvisShapedParams(args.num_categories, args.min_categories_per_bin, args.val_ratio, args.val_min,
                              args.val_max, args.not_exhaustive_fraction,
                              args.negatives_per_image)
    try:
        return make_lvis_shaped(list(reference), params, scene, scaling, thresholds, work, args.seed)
    except ValueError as err:
        raise InputError("--num-categories", None, str(err)) from None


def _profile_section(args) -> dict:
    """The options as a profile's ``synthetic`` section holds them (this kind's section only)."""
    kind = {"num_categories": args.num_categories}
    if args.kind == "lvis":
        kind.update(min_categories_per_bin=args.min_categories_per_bin, val_ratio=args.val_ratio,
                    val_min=args.val_min, val_max=args.val_max, not_exhaustive_fraction=args.not_exhaustive_fraction,
                    negatives_per_image=args.negatives_per_image)
    else:
        kind.update(train_per_category=args.train_per_category, val_per_category=args.val_per_category,
                    count_jitter=args.count_jitter)
    return {"seed": args.seed, "count_scaling": {"first_threshold": args.first_threshold, "ratio": args.ratio},
            "scene": {"image_size": args.image_size, "object_size": list(args.object_size),
                      "max_objects": args.max_objects},
            args.kind: kind}


def _check_like_the_profile(args) -> None:
    """The options a profile also sets are checked as the profile is (workflow/schemas/config.schema.yaml
    ``synthetic`` and :func:`harness.config._check_synthetic`): finite, in range, [min, max] in order.
    An error names the option's flag."""
    import jsonschema

    from harness.config import _check_synthetic, load_schema

    section = _profile_section(args)
    for path, value in _leaves(section):
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(_flag(path), None, f"must be a finite number, got {value}")
    schema = load_schema()["properties"]["synthetic"]
    schema = {**schema, "required": [key for key in schema["required"] if key in section]}
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(section), key=lambda e: list(map(str, e.path)))
    if errors:
        raise InputError(_flag(list(errors[0].path)), None, errors[0].message)
    try:
        _check_synthetic(section, "synth")
    except InputError as err:
        raise InputError(_flag(err.field.split(".")), None, err.problem) from None


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from _leaves(value, path)
    else:
        yield path, node


def _flag(path) -> str:
    """The command-line flag of a profile field path (``[..., "val_min"]`` -> ``--val-min``)."""
    key = next((part for part in reversed(list(path)) if isinstance(part, str)), "seed")
    return "--" + key.replace("_", "-")


def _check_sizes(args) -> None:
    low, high = args.object_size
    if not 1 <= low <= high or 2 * high >= args.image_size:
        raise InputError("--object-size", None, f"need 1 <= MIN <= MAX < image_size / 2, got {low} {high}")
    if args.max_objects < 1 or args.num_categories < 1:
        raise InputError("--max-objects/--num-categories", None, "must be at least 1")
