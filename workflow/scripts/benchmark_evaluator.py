"""Speed and exactness of LVIS evaluation engines against the official lvis-api, on two LVIS cases.

Cases (``--cases``):

- ``real``: the 100 real LVIS v0.5 val images of tests/fixtures/eval_case with their 2,158 detections
  (the case tests/test_evaluate.py checks to 1e-6);
- ``big``: IMAGES images (default 5,000) with DETS detections each (default 300): the real images
  replicated (new image and annotation ids), each copy padded with low-score detections of the image's
  own evaluated categories (present or negative; a jittered ground-truth box where the category has
  one, else a random box), drawn from one generator seeded by ``--seed``.

Engines (``--engines``; lvis-api always runs first, as the reference): ``faster-coco-eval``,
``hotcoco``, ``ultrafast-pycocotools``, ``vernier`` driven directly from the files in their LVIS
(federated) mode, and ``harness`` (``harness.eval.ap.average_precision`` on the parsed files, as the
evaluate stage calls it). Every engine runs in its own process (same niceness as this one); its
seconds cover reading the two files, the evaluation and the bin APs AP1..APk (train counts of LVIS
v0.5, ``configs/data``), not the imports. The table gives wall seconds, CPU seconds (all threads),
lvis-api seconds / engine seconds and the largest |difference| to lvis-api over every key
(AP..ARl@300, AP1..APk, num_cats_bin1..k); an engine that is not installed gets a "failed" row.
ultrafast-pycocotools (0.1.14) and vernier (0.5.4) are no project dependencies: pip-install them
to compare them.

lvis 0.5.3 needs ``np.float`` (removed in numpy 1.24): this script, and only this script, restores
that alias to run it as the reference.

    nice -n 19 .venv/bin/python workflow/scripts/benchmark_evaluator.py --cases real big \
        --engines faster-coco-eval hotcoco ultrafast-pycocotools vernier harness

``--write-engine-reference PATH`` instead writes lvis-api's metrics and per-category AP on the real
case and on its 100 images padded to 300 detections each (tests/fixtures/eval_case/*.reference_engine.json).
"""

import argparse
import contextlib
import io
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "tests" / "fixtures" / "eval_case"
REAL_GT, REAL_DETS = CASE / "lvis_v0.5_val_100.json", CASE / "lvis_v0.5_val_100.detections.json"
TRAIN_STATS = REPO / "configs" / "data" / "lvis_v0.5_train_category_stats.json"
REFERENCE = "lvis-api"
MAX_DETS = 300
ID_OFFSET = 10_000_000  # copy k of image / annotation id n gets id n + k * ID_OFFSET
PAD_SCORE_MAX = 0.05    # padding detections score below this (rounded to 4 decimals, as the real ones)


# --- the big case ------------------------------------------------------------------------------------

def padded_case(num_images: int, dets_per_image: int, seed: int) -> tuple[dict, list[dict]]:
    """(ground truth, detections) of ``num_images`` copies of the real images, each padded to
    ``dets_per_image`` detections; copy k shifts image and annotation ids by k * ID_OFFSET."""
    gt, dets = json.loads(REAL_GT.read_text()), json.loads(REAL_DETS.read_text())
    rng = np.random.default_rng(seed)
    images, anns, results = [], [], []
    for k in range(math.ceil(num_images / len(gt["images"]))):
        for image in gt["images"][: num_images - len(images)]:
            copy = _image_copy(image, gt["annotations"], dets, k * ID_OFFSET)
            images.append(copy["image"])
            anns += copy["annotations"]
            results += copy["detections"] + _padding(copy, dets_per_image, rng)
    return {**gt, "images": images, "annotations": anns}, results


def build_big_case(num_images: int, dets_per_image: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """Write the padded case to ``folder``; return (ground-truth path, detections path)."""
    gt, dets = padded_case(num_images, dets_per_image, seed)
    gt_path, dets_path = folder / "big_gt.json", folder / "big_dets.json"
    gt_path.write_text(json.dumps(gt))
    dets_path.write_text(json.dumps(dets))
    return gt_path, dets_path


def _image_copy(image: dict, annotations: list, detections: list, offset: int) -> dict:
    """One image with its annotations and detections, every id shifted by ``offset``."""
    image_id = image["id"]
    return {"image": {**image, "id": image_id + offset},
            "annotations": [{**a, "id": a["id"] + offset, "image_id": image_id + offset}
                            for a in annotations if a["image_id"] == image_id],
            "detections": [{**d, "image_id": image_id + offset} for d in detections if d["image_id"] == image_id]}


def _padding(copy: dict, dets_per_image: int, rng: np.random.Generator) -> list[dict]:
    """Low-score detections of the image's evaluated categories (present or negative; for the few images
    without any, the categories of its detections) up to ``dets_per_image``."""
    image = copy["image"]
    boxes_of: dict[int, list] = {}
    for ann in copy["annotations"]:
        boxes_of.setdefault(ann["category_id"], []).append(ann["bbox"])
    categories = (sorted(set(boxes_of) | set(image["neg_category_ids"]))
                  or sorted({det["category_id"] for det in copy["detections"]}))
    count = dets_per_image - len(copy["detections"])
    chosen = rng.choice(categories, size=count)
    scores = np.round(rng.uniform(0, PAD_SCORE_MAX, size=count), 4)
    return [{"image_id": image["id"], "category_id": int(category), "score": float(score),
             "bbox": _padding_box(boxes_of.get(int(category)), image, rng)}
            for category, score in zip(chosen, scores)]


def _padding_box(ground_truth: list | None, image: dict, rng: np.random.Generator) -> list[float]:
    """A ground-truth box jittered by 10-40 % of its size, or a random box inside the image."""
    if ground_truth:
        x, y, w, h = ground_truth[rng.integers(len(ground_truth))]
        jitter = rng.normal(0, rng.uniform(0.1, 0.4), 4) * [w, h, w, h]
        return [round(float(v), 2) for v in (x + jitter[0], y + jitter[1], abs(w + jitter[2]), abs(h + jitter[3]))]
    w, h = rng.uniform(0.05, 0.5) * image["width"], rng.uniform(0.05, 0.5) * image["height"]
    x, y = rng.uniform(0, image["width"] - w), rng.uniform(0, image["height"] - h)
    return [round(float(v), 2) for v in (x, y, w, h)]


# --- engines: (gt path, dets path) -> (lvis-api-keyed summary, precision (T, R, K, A, M), category ids) ---

def run_lvis_api(gt_path: Path, dets_path: Path) -> tuple[dict, np.ndarray, list]:
    """The official lvis-api (the reference): LVISResults keeps the top 300 detections per image."""
    np.float = float  # lvis 0.5.3 still uses the alias removed in numpy 1.24
    from lvis import LVIS, LVISEval, LVISResults

    gt = LVIS(str(gt_path))
    evaluator = LVISEval(gt, LVISResults(gt, str(dets_path), max_dets=MAX_DETS), "bbox")
    evaluator.run()
    precision = evaluator.eval["precision"][..., None]  # lvis-api has no max-dets axis
    return dict(evaluator.results), precision, list(evaluator.params.cat_ids)


LVIS_API_KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
                 "AR@300", "ARs@300", "ARm@300", "ARl@300"]
# faster-coco-eval summary key -> lvis-api key
FASTER_COCO_EVAL_KEYS = {
    "AP_all": "AP", "AP_50": "AP50", "AP_75": "AP75", "AP_small": "APs", "AP_medium": "APm", "AP_large": "APl",
    "APr": "APr", "APc": "APc", "APf": "APf", "AR_all": "AR@300", "AR_small": "ARs@300", "AR_medium": "ARm@300",
    "AR_large": "ARl@300",
}


def run_faster_coco_eval(gt_path: Path, dets_path: Path) -> tuple[dict, np.ndarray, list]:
    """faster-coco-eval (C++) in lvis_style, the harness's previous engine."""
    from faster_coco_eval import COCO, COCOeval_faster

    gt = COCO(str(gt_path))
    evaluator = COCOeval_faster(gt, gt.loadRes(str(dets_path)), "bbox", lvis_style=True,
                                print_function=lambda *a: None)
    evaluator.params.maxDets = [MAX_DETS]
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    summary = {key: evaluator.stats_as_dict[name] for name, key in FASTER_COCO_EVAL_KEYS.items()}
    return summary, evaluator.eval["precision"], list(evaluator.params.catIds)


def run_hotcoco(gt_path: Path, dets_path: Path) -> tuple[dict, np.ndarray, list]:
    """hotcoco (Rust) in lvis_style, reading both files itself."""
    import hotcoco

    gt = hotcoco.COCO(str(gt_path))
    evaluator = hotcoco.COCOeval(gt, gt.load_res(str(dets_path)), "bbox", lvis_style=True)
    evaluator.params.max_dets = [MAX_DETS]
    evaluator.evaluate()
    evaluator.accumulate()
    with contextlib.redirect_stdout(io.StringIO()):  # summarize() prints the table
        evaluator.summarize()
    return evaluator.results()["metrics"], evaluator.eval["precision"], list(evaluator.params.cat_ids)


def run_ultrafast(gt_path: Path, dets_path: Path) -> tuple[dict, np.ndarray, list]:
    """ultrafast-pycocotools in lvis_style (its "official" LVIS protocol, maxDets [300])."""
    import ultrafast_pycocotools as ufc

    gt = ufc.COCO(str(gt_path))
    evaluator = ufc.COCOeval(gt, gt.loadRes(str(dets_path)), "bbox", lvis_style=True, print_function=lambda *a: None)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    summary = {key: evaluator.stats_as_dict[key] for key in LVIS_API_KEYS}
    return summary, evaluator.eval["precision"], list(evaluator.params.catIds)


def run_vernier(gt_path: Path, dets_path: Path) -> tuple[dict, np.ndarray, list]:
    """vernier on a federated (LVIS) dataset handle, strict pycocotools parity."""
    from vernier.instance import CocoDataset, evaluate_bbox_grid

    gt = CocoDataset.from_lvis_json(gt_path.read_bytes())
    grid = evaluate_bbox_grid(gt, dets_path.read_bytes(), parity_mode="strict", max_dets_per_image=MAX_DETS,
                              use_cats=True)
    accumulated = grid.accumulate([MAX_DETS])
    summary = dict(zip(LVIS_API_KEYS, accumulated.summarize_lvis(gt, [MAX_DETS]).stats))  # lvis-api's order
    category_ids = sorted(c["id"] for c in json.loads(gt_path.read_text())["categories"])
    return summary, accumulated.precision, category_ids


ENGINES = {REFERENCE: run_lvis_api, "faster-coco-eval": run_faster_coco_eval, "hotcoco": run_hotcoco,
           "ultrafast-pycocotools": run_ultrafast, "vernier": run_vernier}
CANDIDATES = [*[name for name in ENGINES if name != REFERENCE], "harness"]


def engine_metrics(engine: str, gt_path: Path, dets_path: Path) -> dict:
    """Every key of the comparison (summary, AP1..APk, num_cats_bin1..k) from one engine."""
    from harness.eval.ap import average_precision
    from harness.eval.bins import train_bins

    if engine == "harness":
        thresholds, bins = train_bins(str(TRAIN_STATS))
        gt, dets = json.loads(gt_path.read_text()), json.loads(dets_path.read_text())
        return average_precision(gt, dets, "bbox", bins, len(thresholds) + 1)
    return with_bin_aps(*ENGINES[engine](gt_path, dets_path))


def with_bin_aps(summary: dict, precision: np.ndarray, category_ids: list) -> dict:
    """An engine's summary plus AP1..APk and num_cats_bin1..k of the LVIS v0.5 train-count bins."""
    from harness.eval.ap import bin_average_precision
    from harness.eval.bins import train_bins

    thresholds, bins = train_bins(str(TRAIN_STATS))
    metrics = {key: float(value) for key, value in summary.items()}
    metrics.update(bin_average_precision(np.asarray(precision), category_ids, bins, len(thresholds) + 1))
    return metrics


def write_engine_reference(path: Path) -> None:
    """lvis-api's metrics and per-category AP on the real case and on its 100 images padded to 300
    detections each (seed 0): the reference tests/test_evaluate.py holds the harness's engine to."""
    from harness.eval.ap import per_category_ap

    reference = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = {"real": (REAL_GT, REAL_DETS), "padded": build_big_case(100, MAX_DETS, 0, Path(tmp))}
        for case, paths in cases.items():
            summary, precision, category_ids = run_lvis_api(*paths)
            reference[case] = {"metrics": with_bin_aps(summary, precision, category_ids),
                               "category_ap": per_category_ap(precision, category_ids)}
    path.write_text(json.dumps(reference, indent=1))


def worker(engine: str, gt_path: Path, dets_path: Path, out: Path) -> None:
    """Time one engine in this process and write {seconds, cpu_seconds, metrics} to ``out``."""
    import harness.eval.ap  # noqa: F401  (imports stay outside the timing)

    start, cpu = time.perf_counter(), time.process_time()
    metrics = engine_metrics(engine, gt_path, dets_path)
    out.write_text(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
                               "metrics": metrics}))


# --- the driver ---------------------------------------------------------------------------------------

def measure(engine: str, gt_path: Path, dets_path: Path, folder: Path) -> dict:
    """Run ``engine`` in a fresh process; its timing and metrics, or the error it died with."""
    out = folder / f"{engine}.json"
    out.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, __file__, "--worker", engine, str(gt_path), str(dets_path), str(out)],
                          capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(out.read_text())


def max_difference(metrics: dict, reference: dict) -> float:
    """Largest |difference| over the reference's keys; inf if the engine lacks one."""
    return max(abs(metrics[key] - value) if key in metrics else math.inf for key, value in reference.items())


TABLE_HEADER = ("| case | engine | seconds | CPU seconds | lvis-api / engine (seconds) | lvis-api / engine (CPU) "
                "| max abs difference |\n|---|---|---|---|---|---|---|")


def table_rows(case: str, results: dict) -> list[str]:
    """Markdown rows: case, engine, wall and CPU seconds, lvis-api / engine for both, max |difference|."""
    reference = results[REFERENCE]
    rows = []
    for engine, result in results.items():
        if "error" in result:
            rows.append(f"| {case} | {engine} | failed: {result['error'][:90]} | | | | |")
            continue
        wall_ratio = reference["seconds"] / result["seconds"]
        cpu_ratio = reference["cpu_seconds"] / result["cpu_seconds"]
        difference = max_difference(result["metrics"], reference["metrics"])
        rows.append(f"| {case} | {engine} | {result['seconds']:.2f} | {result['cpu_seconds']:.2f} | {wall_ratio:.1f} "
                    f"| {cpu_ratio:.1f} | {difference:.1e} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", choices=CANDIDATES, default=CANDIDATES,
                        help="engines to compare with lvis-api (default: all)")
    parser.add_argument("--cases", nargs="+", choices=["real", "big"], default=["real", "big"])
    parser.add_argument("--images", type=int, default=5000, help="images of the big case")
    parser.add_argument("--dets", type=int, default=MAX_DETS, help="detections per image of the big case")
    parser.add_argument("--seed", type=int, default=0, help="seed of the big case's padding detections")
    parser.add_argument("--json", help="also write every timing and metric here")
    parser.add_argument("--reference", metavar="JSON",
                        help="take lvis-api's timings and metrics from an earlier --json output of the same cases "
                             "instead of running it again (minutes on the big case)")
    parser.add_argument("--write-engine-reference", metavar="PATH",
                        help="only write lvis-api's reference for tests/test_evaluate.py to PATH")
    args = parser.parse_args()
    if args.write_engine_reference:
        write_engine_reference(Path(args.write_engine_reference))
        return
    settings = {"images": args.images, "dets": args.dets, "seed": args.seed}
    earlier = earlier_reference(Path(args.reference), settings) if args.reference else {}
    rows, raw = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in args.cases:
            paths = ((REAL_GT, REAL_DETS) if case == "real"
                     else build_big_case(args.images, args.dets, args.seed, folder))
            raw[case] = {REFERENCE: earlier[case] if case in earlier else measure(REFERENCE, *paths, folder)}
            raw[case].update({engine: measure(engine, *paths, folder) for engine in args.engines})
            rows += table_rows(case, raw[case])
            print("\n".join(rows[-len(raw[case]):]), flush=True)
    print(f"\n{TABLE_HEADER}\n" + "\n".join(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": settings, "cases": raw}, indent=1))


def earlier_reference(path: Path, settings: dict) -> dict:
    """Case -> lvis-api's result in an earlier --json output, which must have the same big-case settings."""
    earlier = json.loads(path.read_text())
    if earlier["settings"] != settings:
        raise SystemExit(f"{path}: big case {earlier['settings']}, not {settings}")
    return {case: results[REFERENCE] for case, results in earlier["cases"].items()}


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
    else:
        main()
