"""Stage ``aggregate``: every run's metrics and weight-norm summary in one tidy CSV.

    python -m harness aggregate --runs RUNS_ROOT --profile PROFILE.yaml --out TIDY.csv
        [--bootstrap-out REPLICATES.csv]

Reads ``RUNS_ROOT/<data set>/<model>/<run id>/seed<k>/evaluate/metrics.json`` and
``.../weight_norms/summary.json`` of the runs and seeds of the profile's run table (a folder left by an
earlier profile or run list is not read); writes one row per (dataset, model, method, variant, seed, metric,
value), values as stored (fractions). The profile's run table (:mod:`harness.runs`) names each run id's
method: the ``method`` of ``configs/methods/<id>.yaml``; ``baseline`` is ``baseline``. ``--bootstrap-out`` also writes every run's ``.../evaluate/bootstrap.json`` as one wide
CSV: one row per (dataset, model, method, variant, seed, metric), columns b0..b{B-1}.
"""

import argparse
from pathlib import Path

HELP = "tidy CSV of all runs' metrics (dataset, model, method, variant, seed, metric, value)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", required=True, help="runs root: <data set>/<model>/<run id>/seed<k>/ below it")
    parser.add_argument("--profile", required=True, help="profile YAML (names the method of each run id)")
    parser.add_argument("--out", required=True, help="tidy metrics CSV")
    parser.add_argument("--bootstrap-out", help="wide CSV of the runs' bootstrap replicates (b0..b{B-1})")


def run(args: argparse.Namespace) -> None:
    from harness.config import load_profile
    from harness.errors import InputError
    from harness.runs import run_table
    from harness.report.aggregate import (IDENTITY_COLUMNS, collect_metrics, collect_replicates, write_replicates,
                                          write_tidy)

    runs_root = Path(args.runs)
    if not runs_root.is_dir():
        raise InputError(runs_root, None, "runs folder does not exist")
    config = load_profile(args.profile)
    table = run_table(config, str(args.profile))
    run_methods = run_methods_of(config, str(args.profile))
    keep = {(run.dataset, run.model, run.run_id, seed) for run in table for seed in run.seeds}
    tidy = collect_metrics(runs_root, run_methods, keep)
    replicates = collect_replicates(runs_root, run_methods, keep) if args.bootstrap_out else None
    write_tidy(tidy, args.out)
    runs = tidy[["dataset", "model", "variant"]].drop_duplicates()
    seeds = tidy[["dataset", "model", "variant", "seed"]].drop_duplicates()
    print(f"aggregate: {len(tidy)} values of {len(runs)} runs ({len(seeds)} seed folders) -> {args.out}")
    if replicates is not None:
        write_replicates(replicates, args.bootstrap_out)
        num = len(replicates.columns) - len(IDENTITY_COLUMNS)
        print(f"aggregate: {len(replicates)} metrics x {num} bootstrap replicates -> {args.bootstrap_out}")


def run_methods_of(config: dict, source: str) -> dict[str, str]:
    """Run id -> method name for every run of the profile's run table (harness/runs.py)."""
    from harness.runs import run_methods, run_table

    return run_methods(run_table(config, source))
