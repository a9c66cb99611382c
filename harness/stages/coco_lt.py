"""Stage ``coco-lt``: build a COCO-LT train split from any COCO-format train set (harness.data.coco_lt).

    python -m harness coco-lt --source TRAIN.json --profile coco_lt_category_stats.json \
        --out COCO_LT.json --report REPORT.json --seed 0 [--match auto|id|rank] [--min-count 1]
"""

import argparse

from harness.data.coco_lt import (
    PROFILE_BIN_EDGES, is_coco_2017, positive_counts, report, subsample, targets_by_id, targets_by_rank)
from harness import validate
from harness.errors import InputError
from harness.io import read_json, write_json_atomic

HELP = "construct COCO-LT (4/24/32/20 categories in bins [1,20),[20,400),[400,8000),[8000,inf)) from a COCO-format train set"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, help="COCO-format train annotations")
    parser.add_argument("--profile", required=True, help="COCO-LT category statistics (id, instance_count)")
    parser.add_argument("--out", required=True, help="COCO-LT train annotations to write")
    parser.add_argument("--report", required=True, help="achieved vs target per category (JSON)")
    parser.add_argument("--seed", required=True, type=int, help="seed of the image subsampling")
    parser.add_argument("--match", choices=["auto", "id", "rank"], default="auto",
                        help="targets by category id (real COCO 2017) or by rank (other sources); auto: id when "
                             "the source has exactly COCO 2017's 80 category ids")
    parser.add_argument("--min-count", type=int, default=1, help="where the profile's smallest count lands (rank mode)")


def run(args: argparse.Namespace) -> None:
    if args.seed < 0:
        raise InputError("--seed", None, f"must be >= 0, got {args.seed}")
    if args.min_count < 1:
        raise InputError("--min-count", None, f"must be >= 1, got {args.min_count}")
    source = read_json(args.source, "COCO-format source")
    profile_data = read_json(args.profile, "COCO-LT profile")
    for where, data in ((args.source, source), (args.profile, profile_data)):
        if not isinstance(data, dict) or not data.get("categories"):
            raise InputError(where, "categories", "missing or empty: a source without categories")
    if "annotations" not in source or "images" not in source:
        raise InputError(args.source, "annotations/images", "missing: not a COCO-format annotation file")
    validate.ground_truth(source, args.source)
    validate.category_statistics(profile_data, args.profile)
    if "annotations" in profile_data:
        raise InputError(args.profile, "annotations", "a COCO-LT profile lists categories with instance_count, "
                                                      "not annotations")
    profile = {c["id"]: c["instance_count"] for c in profile_data["categories"]}
    source_ids = {c["id"] for c in source["categories"]}
    match = args.match if args.match != "auto" else ("id" if is_coco_2017(source_ids) else "rank")
    _check_profile(profile_data["categories"], args.profile, match == "rank")
    try:
        if match == "id":
            targets, scaling, edges = targets_by_id(profile, source_ids), None, list(PROFILE_BIN_EDGES)
        else:
            counts = {cid: positive_counts(source["annotations"])[cid] for cid in source_ids}
            targets, scaling, edges = targets_by_rank(profile, counts, args.min_count)
    except ValueError as err:
        raise InputError(args.source, "categories", str(err)) from None
    result = subsample(source, targets, args.seed)
    rows = report(source, result, targets, edges)
    info = {**source.get("info", {}), "coco_lt": {"match": match, "seed": args.seed, "profile": args.profile},
            "reference_bin_thresholds": list(PROFILE_BIN_EDGES), "bin_thresholds": edges}
    if scaling is not None:
        info["count_scaling"] = scaling.to_json()
    result["info"] = info
    write_json_atomic(args.report, {"match": match, "bin_thresholds": edges, "categories": rows})
    write_json_atomic(args.out, result, indent=None)
    short = [r for r in rows if r["achieved"] < r["target"]]
    per_bin = [sum(r["bin"] == k for r in rows) for k in (1, 2, 3, 4)]
    print(f"coco-lt ({match}): {len(result['images'])} images, {sum(r['achieved'] for r in rows)} instances, "
          f"categories per bin {per_bin}, edges {edges}, {len(short)} below target")


def _check_profile(categories: list[dict], path: str, by_rank: bool) -> None:
    """COCO-LT counts are >= 1 and, matched by rank, not all equal (mapped in log space)."""
    for i, cat in enumerate(categories):
        if cat["instance_count"] < 1:
            raise InputError(path, f"categories[{i}].instance_count", f"must be >= 1, got {cat['instance_count']}")
    if by_rank and len({cat["instance_count"] for cat in categories}) < 2:
        raise InputError(path, "categories[].instance_count", "all counts are equal: not a long-tail profile")
