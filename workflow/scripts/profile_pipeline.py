"""Where a finished pipeline run's time went, per rule, from Snakemake's benchmark files.

    python workflow/scripts/profile_pipeline.py results/default [--markdown]

For every ``benchmarks/*.tsv`` under the results folder: the rule (the file's name, or its folder for
the shared stages), the job's wall seconds and CPU seconds. Where the job's stage also wrote a
``meta.json`` (train, cache-features, retrain-classifier, posthoc, predict), its ``wall_time_s`` counts
from the moment the stage had imported what it needs, so ``job seconds - wall_time_s`` is the job's
start-up: interpreter, imports, argument parsing. Prints one row per rule: jobs, job seconds (sum),
CPU seconds, start-up seconds (sum over the jobs that have a meta.json) and its share of their time.
"""

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

RUN_RULES = {"train", "cache_features", "retrain_classifier", "posthoc", "predict", "evaluate", "weight_norms"}


def rule_of(benchmark: Path) -> str:
    """``runs/.../benchmarks/train.tsv`` -> train; ``benchmarks/groups/lvis/n4.tsv`` -> groups;
    ``benchmarks/coco_lt.tsv`` -> coco_lt."""
    if benchmark.stem in RUN_RULES:
        return benchmark.stem
    last = max(i for i, part in enumerate(benchmark.parts) if part == "benchmarks")
    below = benchmark.parts[last + 1:]
    return below[0] if len(below) > 1 else benchmark.stem


def read_benchmark(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the last row of a Snakemake benchmark file."""
    with path.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        raise ValueError(f"{path}: no benchmark row")
    row = rows[-1]
    return float(row["s"]), float(row.get("cpu_time") or 0.0)


def stage_wall(benchmark: Path, rule: str) -> float | None:
    """``wall_time_s`` of the meta.json the job's stage wrote in its run folder, if any."""
    run_dir = benchmark.parent.parent
    for meta_path in run_dir.glob("*/meta.json"):
        meta = json.loads(meta_path.read_text())
        if str(meta.get("stage", "")).replace("-", "_") == rule:
            return float(meta["wall_time_s"])
    return None


def profile(results: Path) -> list[dict]:
    totals = defaultdict(lambda: {"jobs": 0, "job_s": 0.0, "cpu_s": 0.0, "timed_s": 0.0, "startup_s": 0.0})
    for benchmark in sorted(results.rglob("benchmarks/**/*.tsv")):
        rule = rule_of(benchmark)
        wall, cpu = read_benchmark(benchmark)
        row = totals[rule]
        row["jobs"] += 1
        row["job_s"] += wall
        row["cpu_s"] += cpu
        inner = stage_wall(benchmark, rule) if rule in RUN_RULES else None
        if inner is not None:
            row["timed_s"] += wall
            row["startup_s"] += max(wall - inner, 0.0)
    rows = [{"rule": rule, **values} for rule, values in totals.items()]
    return sorted(rows, key=lambda r: -r["job_s"])


def render(rows: list[dict], markdown: bool) -> str:
    total = sum(r["job_s"] for r in rows)
    header = ["rule", "jobs", "job s", "share", "CPU s", "start-up s", "start-up share"]
    lines = []
    for r in rows:
        share = f"{r['startup_s'] / r['timed_s']:.0%}" if r["timed_s"] else "n/a"
        startup = f"{r['startup_s']:.0f}" if r["timed_s"] else "n/a"
        lines.append([r["rule"], str(r["jobs"]), f"{r['job_s']:.0f}", f"{r['job_s'] / total:.0%}",
                      f"{r['cpu_s']:.0f}", startup, share])
    lines.append(["all", str(sum(r["jobs"] for r in rows)), f"{total:.0f}", "100%",
                  f"{sum(r['cpu_s'] for r in rows):.0f}", "", ""])
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(out + ["| " + " | ".join(cells) + " |" for cells in lines])
    widths = [max(len(c[i]) for c in [header, *lines]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in [header, *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a profile's results folder, e.g. results/default")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table (for docs/results.md)")
    args = parser.parse_args()
    if not args.results.is_dir():
        raise SystemExit(f"error: {args.results}: no such results folder")
    print(render(profile(args.results), args.markdown))


if __name__ == "__main__":
    main()
