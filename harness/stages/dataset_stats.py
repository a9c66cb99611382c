"""Stage ``dataset-stats``: class statistics of a train/val pair and a short summary for the report.

    python -m harness dataset-stats --train T.json --val V.json --categories-csv C.csv --summary S.json \
        [--thresholds 4 16 64]     # default: the train file's info.bin_thresholds
"""

import argparse
from collections import Counter

import pandas as pd

from harness import validate
from harness.algorithms.group_layout import bin_ranges, count_bin, format_range
from harness.data.category_stats import category_stats_from_data
from harness.errors import InputError
from harness.io import atomic_path, read_json, write_json_atomic

HELP = "per-category train/val counts, bins and r/c/f, plus a summary (images, instances, categories per bin)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="train annotations (LVIS or COCO format)")
    parser.add_argument("--val", required=True, help="val annotations")
    parser.add_argument("--thresholds", nargs="+", type=float, help="bin edges (default: train info.bin_thresholds)")
    parser.add_argument("--categories-csv", required=True, help="output: one row per category (counts, bin, r/c/f)")
    parser.add_argument("--summary", required=True, help="output: JSON summary (images, instances, categories per bin)")


def run(args: argparse.Namespace) -> None:
    train, val = read_json(args.train, "train annotations"), read_json(args.val, "val annotations")
    validate.ground_truth(train, args.train)
    validate.ground_truth(val, args.val)
    thresholds = _thresholds(args, train)
    table = category_table(train, val, args.train, thresholds)
    summary = summarise(train, val, table, thresholds)
    with atomic_path(args.categories_csv) as tmp:
        table.to_csv(tmp, index=False)
    write_json_atomic(args.summary, summary)
    print(f"dataset-stats: {summary['train']['images']} train images, {summary['train']['instances']} instances, "
          f"categories per bin {summary['categories_per_bin']}")


def _thresholds(args, train) -> tuple:
    if args.thresholds:
        thresholds = validate.bin_thresholds(args.thresholds, "--thresholds")
    elif train.get("info", {}).get("bin_thresholds") is None:
        raise InputError(args.train, "info.bin_thresholds", "missing; pass --thresholds")
    else:
        thresholds = validate.bin_thresholds(train["info"]["bin_thresholds"], args.train, "info.bin_thresholds")
    return tuple(int(t) if float(t).is_integer() else t for t in thresholds)


def category_table(train: dict, val: dict, train_path, thresholds) -> pd.DataFrame:
    """One row per category: train instances/images (from annotations), val instances, bin, frequency."""
    stats = category_stats_from_data(train, train_path)
    train_images = Counter(c for c, _ in {(a["category_id"], a["image_id"]) for a in _positive(train)})
    val_instances = Counter(a["category_id"] for a in _positive(val))
    meta = {c["id"]: c for c in train["categories"]}
    rows = [{
        "category_id": cid, "name": meta[cid].get("name", str(cid)), "frequency": meta[cid].get("frequency"),
        "train_instances": n, "train_images": train_images[cid], "val_instances": val_instances[cid],
        "bin": count_bin(n, thresholds) + 1,
    } for cid, n in zip(stats.category_ids, stats.instance_counts)]
    return pd.DataFrame(rows)


def summarise(train: dict, val: dict, table: pd.DataFrame, thresholds) -> dict:
    bins = range(1, len(thresholds) + 2)
    return {
        "thresholds": list(thresholds),
        "bins": [format_range(r) for r in bin_ranges(thresholds)],
        "num_categories": int(len(table)),
        "train": _split_summary(train), "val": _split_summary(val),
        "categories_per_bin": [int((table["bin"] == k).sum()) for k in bins],
        "train_instances_per_bin": [int(table.loc[table["bin"] == k, "train_instances"].sum()) for k in bins],
        "val_present_categories_per_bin": [int(((table["bin"] == k) & (table["val_instances"] > 0)).sum()) for k in bins],
        "frequency_counts": {f: int((table["frequency"] == f).sum()) for f in ("r", "c", "f")},
    }


def _split_summary(data: dict) -> dict:
    images = data["images"]
    return {
        "images": len(images), "instances": len(_positive(data)),
        "ignore_regions": sum(1 for a in data["annotations"] if a.get("iscrowd", 0) == 1),
        "not_exhaustive_images": sum(1 for im in images if im.get("not_exhaustive_category_ids")),
        "images_with_negatives": sum(1 for im in images if im.get("neg_category_ids")),
    }


def _positive(data: dict) -> list[dict]:
    return [a for a in data["annotations"] if a.get("iscrowd", 0) != 1]
