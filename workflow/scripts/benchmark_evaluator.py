"""Speed of the harness evaluator against the official lvis-api on a realistic-size LVIS case.

The 100 real LVIS v0.5 val images of tests/fixtures/eval_case are replicated COPIES times (new image
and annotation ids) together with their 2,158 detections, then both evaluators run on the same files
and must agree on every key. lvis 0.5.3 needs ``np.float`` (removed in numpy 1.24): this script, and
only this script, restores that alias to run it as the reference.

    .venv/bin/python workflow/scripts/benchmark_evaluator.py --copies 30
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

CASE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "eval_case"


def replicate(copies: int, folder: Path) -> tuple[Path, Path]:
    gt = json.loads((CASE / "lvis_v0.5_val_100.json").read_text())
    dets = json.loads((CASE / "lvis_v0.5_val_100.detections.json").read_text())
    dets = [d for d in dets if d["bbox"][2] >= 0 and d["bbox"][3] >= 0]
    images, anns, results = [], [], []
    for k in range(copies):
        offset = k * 10_000_000
        images += [{**im, "id": im["id"] + offset} for im in gt["images"]]
        anns += [{**a, "id": a["id"] + offset, "image_id": a["image_id"] + offset} for a in gt["annotations"]]
        results += [{**d, "image_id": d["image_id"] + offset} for d in dets]
    gt_path, dets_path = folder / "gt.json", folder / "dets.json"
    gt_path.write_text(json.dumps({**gt, "images": images, "annotations": anns}))
    dets_path.write_text(json.dumps(results))
    return gt_path, dets_path


def run_lvis_api(gt_path: Path, dets_path: Path) -> dict:
    np.float = float  # lvis 0.5.3 still uses the alias removed in numpy 1.24
    from lvis import LVIS, LVISEval, LVISResults

    gt = LVIS(str(gt_path))
    evaluator = LVISEval(gt, LVISResults(gt, str(dets_path), max_dets=300), "bbox")
    evaluator.run()
    return {k: float(v) for k, v in evaluator.results.items()}


def run_harness(gt_path: Path, dets_path: Path) -> dict:
    from harness.eval.ap import average_precision
    from harness.eval.bins import train_bins

    gt = json.loads(gt_path.read_text())
    _, bins = train_bins(str(gt_path), (10, 100, 1000))
    return average_precision(gt, json.loads(dets_path.read_text()), "bbox", bins, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, dets_path = replicate(args.copies, Path(tmp))
        timings, outputs = {}, {}
        for name, fn in (("lvis-api", run_lvis_api), ("harness", run_harness)):
            start = time.perf_counter()
            outputs[name] = fn(gt_path, dets_path)
            timings[name] = time.perf_counter() - start
    worst = max(abs(outputs["harness"][k] - v) for k, v in outputs["lvis-api"].items())
    print(json.dumps({"images": 100 * args.copies, "seconds": timings,
                      "speed_ratio": timings["lvis-api"] / timings["harness"], "max_abs_difference": worst}, indent=1))


if __name__ == "__main__":
    main()
