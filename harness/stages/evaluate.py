"""Stage ``evaluate``: LVIS/COCO metrics, bin APs and proposal accuracy of one model's predictions.

    python -m harness evaluate --gt VAL.json --dets DETS.json [--train-stats TRAIN.json]
        [--iou-type bbox [segm]] [--proposals PROPOSALS.npz] [--thresholds 4 16 64] --out METRICS.json
        [--bootstrap BOOTSTRAP.json [--replicates 200] [--bootstrap-seed 0]] [--run DATASET/MODEL/RUN_ID/SEED]

Keys follow lvis-api (fractions): AP, AP50, AP75, APs, APm, APl, APr, APc, APf (LVIS ground truth),
AR@300, ARs@300, ARm@300, ARl@300, plus AP1..APk (train-count bins) and ACC, ACCfg, ACCbg, ACC1..ACCk
(with --proposals). Mask metrics carry the suffix ``_mask``. Each category's AP (the report's long-tail
figure) sits under ``"per_category": {"bbox": {"<category id>": AP, ...}, "segm": {...}}`` (-1: no val
instance of the category): a nested object, never a metric of its own; the mean of its values other than
-1 is AP (AP_mask). Likewise nested, ``"errors_by_bin": {"bbox": {...}, "segm": {...}}`` says why AP is
lost in each train-count bin: TIDE's dAP of classification, localisation, both, duplicate, background
and missed errors at IoU 0.5 per bin and over all categories, with counts (harness.eval.errors,
docs/evaluation.md#error-analysis-by-bin).

``--bootstrap`` also writes a paired image bootstrap (harness.eval.bootstrap): {"replicates": B,
"seed": S, "num_images": I, "image_ids_sha256": ..., "metrics": {"AP": [B values], ..., "AP_mask": [...]}}
for AP, AP50, AP75, APr, APc, APf (LVIS) and AP1..APk; -1 where a replicate leaves a mean undefined.
Every run evaluated on the same val images with the same seed gets the same resamples.

``--run`` records which run the numbers belong to as ``"run": {"dataset", "model", "run_id", "seed"}`` in
both files (left out without it); ``aggregate`` and the report take a run's identity from there.
"""

import argparse
import zipfile

import numpy as np

from harness import validate
from harness.errors import InputError
from harness.io import read_json, write_json_atomic
from harness.stages.arguments import add_run_argument, run_record

HELP = "LVIS/COCO AP (official numbers), AP1..APk by train-count bin, and proposal accuracy ACC*"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gt", required=True, help="LVIS or COCO-format ground truth (val)")
    parser.add_argument("--dets", required=True, help="detections in LVIS/COCO results format")
    parser.add_argument("--train-stats", help="train annotations or category statistics (bins of AP1..APk); "
                                              "default: the ground truth's own counts")
    parser.add_argument("--thresholds", nargs="+", type=float, help="bin edges (default: train info.bin_thresholds, "
                                                                    "else 10 100 1000)")
    parser.add_argument("--iou-type", nargs="+", choices=["bbox", "segm"],
                        help="default: bbox, plus segm when the detections carry segmentations")
    parser.add_argument("--proposals", help="proposals .npz (image_ids, boxes, labels) for ACC*")
    parser.add_argument("--keep-degenerate-boxes", action="store_true",
                        help="evaluate boxes with negative width/height as lvis-api does (ignored) instead of failing")
    parser.add_argument("--out", required=True, help="output: metrics.json (fractions; -1 = not applicable)")
    parser.add_argument("--bootstrap", help="also write per-replicate AP of a paired image bootstrap here (JSON)")
    parser.add_argument("--replicates", type=int, default=200, help="bootstrap replicates B (default 200)")
    parser.add_argument("--bootstrap-seed", type=int, default=0, help="seed of the image resamples (default 0)")
    add_run_argument(parser)


def run(args: argparse.Namespace) -> None:
    from harness.eval.ap import category_ap_table, evaluate_detections, summary_metrics
    from harness.eval.bins import require_bins_for, train_bins
    from harness.eval.bootstrap import bootstrap_metrics, image_ids_digest, match_detections, resample_counts
    from harness.eval.errors import error_analysis
    from harness.eval.proposal_accuracy import proposal_accuracy

    if args.replicates < 1:
        raise InputError("--replicates", None, f"must be >= 1, got {args.replicates}")
    if args.bootstrap_seed < 0:
        raise InputError("--bootstrap-seed", None, f"must be >= 0, got {args.bootstrap_seed}")
    gt = read_json(args.gt, "ground truth")
    raw = read_json(args.dets, "detections file")
    iou_types = args.iou_type or _default_iou_types(raw)
    validate.ground_truth(gt, args.gt, with_segmentation="segm" in iou_types)
    dets = validate.detections(raw, gt, args.dets, iou_types, args.keep_degenerate_boxes)
    stats = args.train_stats or args.gt
    thresholds, bins = train_bins(stats, args.thresholds)
    require_bins_for([c["id"] for c in gt["categories"]], bins, stats)
    proposals = _load_proposals(args.proposals, gt) if args.proposals else None
    image_ids = [image["id"] for image in gt["images"]]
    counts = resample_counts(image_ids, args.replicates, args.bootstrap_seed) if args.bootstrap else None
    metrics, replicates, per_category, errors_by_bin = {"thresholds": list(thresholds)}, {}, {}, {}
    for iou_type in iou_types:
        suffix = "" if iou_type == "bbox" else "_mask"
        evaluation = evaluate_detections(gt, dets, iou_type)
        metrics.update({f"{k}{suffix}": v for k, v in summary_metrics(evaluation, bins, len(thresholds) + 1).items()})
        per_category[iou_type] = category_ap_table(evaluation)
        errors_by_bin[iou_type] = error_analysis(evaluation, bins, len(thresholds) + 1)
        if counts is not None:
            boot = bootstrap_metrics(match_detections(evaluation), counts, bins, len(thresholds) + 1)
            replicates.update({f"{k}{suffix}": v.tolist() for k, v in boot.items()})
    if proposals is not None:
        metrics.update(proposal_accuracy(gt, proposals, bins, len(thresholds) + 1))
    record = run_record(args)
    identity = {"run": record} if record else {}  # the run these numbers belong to (with --run)
    if args.bootstrap:
        write_json_atomic(args.bootstrap, {
            "replicates": args.replicates, "seed": args.bootstrap_seed, "num_images": counts.shape[1],
            "image_ids_sha256": image_ids_digest(image_ids), "metrics": replicates, **identity})
    write_json_atomic(args.out, {**metrics, "per_category": per_category, "errors_by_bin": errors_by_bin,
                                 **identity})
    shown = ", ".join(f"{k} {metrics[k]:.4f}" for k in ("AP", "APr", "APc", "APf", "AP1", "AP4", "ACC") if k in metrics)
    print(f"evaluate: {shown} -> {args.out}")
    if args.bootstrap:
        print(f"evaluate: {args.replicates} bootstrap replicates of {len(replicates)} metrics -> {args.bootstrap}")


def _default_iou_types(dets) -> list[str]:
    """bbox, plus segm when the detections carry segmentations (a model with a mask branch)."""
    first = dets[0] if isinstance(dets, list) and dets else None
    return ["bbox", "segm"] if isinstance(first, dict) and "segmentation" in first else ["bbox"]


def _load_proposals(path: str, gt: dict) -> dict:
    """The arrays of a proposals file (.npz), checked by :func:`harness.validate.proposals`."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise InputError(path, None, f"not a proposals file (.npz with image_ids, boxes, labels): {err}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise InputError(path, None, "not a proposals file: a single array, not an .npz with image_ids, boxes, labels")
    with data:
        missing = [key for key in ("image_ids", "boxes", "labels") if key not in data.files]
        if missing:
            raise InputError(path, missing[0], "missing: not a proposals file with image_ids, boxes, labels")
        try:
            arrays = {key: data[key] for key in ("image_ids", "boxes", "labels")}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise InputError(path, None, f"unreadable proposals file: {err}") from None
    return validate.proposals(arrays, gt, path)
