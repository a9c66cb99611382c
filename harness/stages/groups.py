"""Stage ``groups``: write the BAGS group layout for one set of count thresholds.

    python -m harness groups --stats STATS.json --thresholds 10 100 1000 --out GROUPS.json
"""

import argparse

from harness import validate
from harness.algorithms.group_layout import build_group_layout, layout_to_json
from harness.data.category_stats import load_category_stats
from harness.errors import InputError
from harness.io import write_json_atomic

HELP = "BAGS group layout (groups, logit slices, label remap) from train instance counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stats", required=True,
                        help="category statistics file (categories[].instance_count) or LVIS/COCO annotation file")
    parser.add_argument("--thresholds", required=True, nargs="+", type=count_threshold,
                        help="strictly increasing instance-count thresholds; N = len + 1 foreground groups")
    parser.add_argument("--paper-scale", action="store_true",
                        help="thresholds are on the paper's scale (10/100/1000): map them through the stats "
                             "file's info.count_scaling when it has one (synthetic and COCO-LT data)")
    parser.add_argument("--out", required=True, help="group layout JSON to write")


def count_threshold(text: str) -> int | float:
    """Parse a threshold, keeping integers integral (so messages and JSON read 10, not 10.0)."""
    value = float(text)
    return int(value) if value.is_integer() else value


def run(args: argparse.Namespace) -> None:
    thresholds = validate.bin_thresholds(args.thresholds, "--thresholds")
    stats = load_category_stats(args.stats)
    reference = thresholds
    if args.paper_scale and stats.count_scaling is not None:
        thresholds = tuple(stats.count_scaling.scale_thresholds(thresholds))
    try:
        layout = build_group_layout(stats.category_ids, stats.instance_counts, thresholds)
    except ValueError as err:
        raise InputError(args.stats, "categories[].instance_count", str(err)) from None
    write_json_atomic(args.out, {**layout_to_json(layout), "paper_scale_thresholds": list(reference)})
    sizes = ", ".join(f"{g.name}={len(g.category_ids) or 'bg'}" for g in layout.groups)
    print(f"groups: {len(stats.category_ids)} categories -> {sizes}; {layout.num_logits} logits -> {args.out}")
