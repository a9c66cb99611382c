"""Speed of the paired image bootstrap (harness/eval/bootstrap.py) at the size it was built for.

A generated LVIS-style case: IMAGES images, 40 categories (r/c/f), 1-5 present categories per image
with 1-4 boxes each, up to 8 negative categories, 10 % of images with a not-exhaustive category;
per image 1-3 jittered detections of every box and background detections of evaluated categories up
to DETS per image. The AP evaluation (hotcoco) runs first (the evaluate stage runs it anyway),
then the bootstrap's two steps are timed: the per-detection matching and B replicates of every metric.
Run it pinned to one core:

    taskset -c 0 .venv/bin/python workflow/scripts/benchmark_bootstrap.py --images 1000 --dets 300 --replicates 200
"""

import argparse
import time

import numpy as np

from harness.eval.ap import evaluate_detections, summary_metrics
from harness.eval.bootstrap import bootstrap_metrics, match_detections, resample_counts

NUM_CATEGORIES = 40


def generated_case(num_images: int, dets_per_image: int, seed: int = 0) -> tuple[dict, list]:
    rng = np.random.default_rng(seed)
    frequency = ["r"] * 10 + ["c"] * 15 + ["f"] * 15
    gt = {"images": [], "annotations": [],
          "categories": [{"id": k + 1, "name": f"c{k}", "frequency": frequency[k]} for k in range(NUM_CATEGORIES)]}
    dets = []
    for image in range(1, num_images + 1):
        present = rng.choice(NUM_CATEGORIES, size=rng.integers(1, 6), replace=False) + 1
        negative = [int(c) for c in rng.choice(NUM_CATEGORIES, size=8, replace=False) + 1 if c not in present]
        gt["images"].append({"id": image, "width": 640, "height": 480, "neg_category_ids": negative,
                             "not_exhaustive_category_ids": [int(present[0])] if rng.random() < 0.1 else []})
        count = 0
        for category in present.tolist():
            for _ in range(rng.integers(1, 5)):
                x, y, w, h = rng.uniform(0, 500), rng.uniform(0, 350), rng.uniform(10, 140), rng.uniform(10, 130)
                gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": image, "category_id": category,
                                          "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
                for _ in range(rng.integers(1, 4)):
                    j = rng.normal(0, 0.1, 4) * [w, h, w, h]
                    dets.append({"image_id": image, "category_id": category, "score": float(rng.uniform(0.3, 1)),
                                 "bbox": [x + j[0], y + j[1], w + j[2], h + j[3]]})
                    count += 1
        evaluated = present.tolist() + negative
        for _ in range(dets_per_image - count):
            box = [rng.uniform(0, 560), rng.uniform(0, 400), rng.uniform(5, 80), rng.uniform(5, 80)]
            dets.append({"image_id": image, "category_id": int(rng.choice(evaluated)),
                         "score": float(rng.uniform(0, 0.6)), "bbox": box})
    return gt, dets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--dets", type=int, default=300, help="detections per image")
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args()
    gt, dets = generated_case(args.images, args.dets)
    bins = {k + 1: 1 + k // 10 for k in range(NUM_CATEGORIES)}
    print(f"{args.images} images, {len(gt['annotations'])} GT, {len(dets)} detections, {NUM_CATEGORIES} categories")
    start = time.perf_counter()
    cocoeval = evaluate_detections(gt, dets, "bbox")
    evaluated = time.perf_counter()
    matching = match_detections(cocoeval)
    matched = time.perf_counter()
    counts = resample_counts([image["id"] for image in gt["images"]], args.replicates, seed=0)
    replicates = bootstrap_metrics(matching, counts, bins, 4)
    done = time.perf_counter()
    identity = bootstrap_metrics(matching, np.ones((1, args.images), dtype=int), bins, 4)
    reference = summary_metrics(cocoeval, bins, 4)
    print(f"AP evaluation (run by evaluate anyway): {evaluated - start:.2f} s")
    print(f"bootstrap: matching {matched - evaluated:.2f} s + {args.replicates} replicates {done - matched:.2f} s "
          f"= {done - evaluated:.2f} s")
    worst = max(abs(values[0] - reference[key]) for key, values in identity.items())
    print(f"identity resample vs evaluator: max |diff| {worst:.1e}")
    print(f"AP {replicates['AP'].mean():.4f} +- {replicates['AP'].std():.4f} over the replicates")


if __name__ == "__main__":
    main()
