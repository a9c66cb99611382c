"""Stage ``aggregate``: the given runs' metrics and weight-norm summaries in one tidy CSV.

    python -m harness aggregate --metrics METRICS.json ... [--norms SUMMARY.json ...] --profile PROFILE.yaml \
        --out TIDY.csv [--bootstraps BOOTSTRAP.json ... --bootstrap-out REPLICATES.csv]

Reads exactly the files it is given (the Snakemake rule passes every run's ``evaluate/metrics.json``,
``evaluate/bootstrap.json`` and the ``weight_norms/summary.json`` the report needs) and takes each file's
run (data set, model, run id, seed) from its ``run`` field, which the run stages write from ``--run``;
where a file lies does not matter, and a file without ``run`` is an error that says to rerun the stage.
Writes one row per (dataset, model, method, variant, seed, metric, value), values as stored (fractions).
The profile's run table (:mod:`harness.runs`) names each run id's method: the ``method`` of
``configs/methods/<id>.yaml``; ``baseline`` is ``baseline``. ``--bootstrap-out`` writes the bootstrap
files as one wide CSV: one row per (dataset, model, method, variant, seed, metric), columns b0..b{B-1}.
"""

import argparse

HELP = "tidy CSV of the given runs' metrics (dataset, model, method, variant, seed, metric, value)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics", nargs="+", required=True, metavar="METRICS.json",
                        help="the runs' evaluate/metrics.json files (each names its run in field 'run')")
    parser.add_argument("--norms", nargs="*", default=[], metavar="SUMMARY.json",
                        help="weight_norms/summary.json files (each names its run in field 'run')")
    parser.add_argument("--bootstraps", nargs="*", default=[], metavar="BOOTSTRAP.json",
                        help="evaluate/bootstrap.json files, tabulated into --bootstrap-out")
    parser.add_argument("--profile", required=True, help="profile YAML (names the method of each run id)")
    parser.add_argument("--out", required=True, help="tidy metrics CSV")
    parser.add_argument("--bootstrap-out", help="wide CSV of the runs' bootstrap replicates (b0..b{B-1})")


def run(args: argparse.Namespace) -> None:
    from harness.config import load_profile
    from harness.errors import InputError
    from harness.report.aggregate import (IDENTITY_COLUMNS, collect_metrics, collect_replicates, write_replicates,
                                          write_tidy)

    if args.bootstraps and not args.bootstrap_out:
        raise InputError("--bootstraps", None, "bootstrap files need --bootstrap-out, the table they go to")
    run_methods = run_methods_of(load_profile(args.profile), str(args.profile))
    tidy = collect_metrics(args.metrics, args.norms, run_methods)
    replicates = collect_replicates(args.bootstraps, run_methods) if args.bootstrap_out else None
    write_tidy(tidy, args.out)
    runs = tidy[["dataset", "model", "variant"]].drop_duplicates()
    seeds = tidy[["dataset", "model", "variant", "seed"]].drop_duplicates()
    print(f"aggregate: {len(tidy)} values of {len(runs)} runs ({len(seeds)} seeds) -> {args.out}")
    if replicates is not None:
        write_replicates(replicates, args.bootstrap_out)
        num = len(replicates.columns) - len(IDENTITY_COLUMNS)
        print(f"aggregate: {len(replicates)} metrics x {num} bootstrap replicates -> {args.bootstrap_out}")


def run_methods_of(config: dict, source: str) -> dict[str, str]:
    """Run id -> method name for every run of the profile's run table (harness/runs.py)."""
    from harness.runs import run_methods, run_table

    return run_methods(run_table(config, source))
