"""Stage ``gains``: every run minus its model's baseline, with seed spread and 95 % intervals.

    python -m harness gains --tidy TIDY.csv [--bootstrap REPLICATES.csv] --out GAINS.csv \
        [--html GAINS.html] [--metrics AP AP1 ...] [--draws 1000] [--seed 0]

TIDY.csv and REPLICATES.csv are the ``aggregate`` stage's tables (as for ``claims``). GAINS.csv has one
row per data set, model, run and metric: the run's and the baseline's seed mean and standard deviation,
the gain (percent points), the paired per-seed gains and the 95 % interval over resampled seeds x image
replicates (:mod:`harness.report.gains`). --html writes a table fragment for the report page.
"""

import argparse

HELP = "every run minus its model's baseline: gain, per-seed gains and 95 %% interval (percent points)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV of `python -m harness aggregate`")
    parser.add_argument("--bootstrap", help="paired image-bootstrap replicates CSV of `python -m harness aggregate`")
    parser.add_argument("--out", required=True, help="gains CSV")
    parser.add_argument("--html", help="also write an HTML table fragment (id 'gains') for the report")
    parser.add_argument("--metrics", nargs="+", help="metrics to report (default: AP, APr/c/f, AP1-AP4, ACCbg, ACCfg)")
    parser.add_argument("--draws", type=int, default=1000,
                        help="seed-resampling draws when there are no image replicates (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling generator (default 0)")


def run(args: argparse.Namespace) -> None:
    from harness.errors import InputError
    from harness.io import atomic_path
    from harness.report.aggregate import read_replicates, read_tidy
    from harness.report.gains import DEFAULT_METRICS, format_gain, gains_table, to_html

    if args.draws < 1:
        raise InputError("--draws", None, f"must be >= 1, got {args.draws}")
    replicates = read_replicates(args.bootstrap) if args.bootstrap else None
    gains = gains_table(read_tidy(args.tidy), replicates, tuple(args.metrics or DEFAULT_METRICS), args.draws,
                        args.seed, source=args.tidy, replicate_source=str(args.bootstrap))
    if gains.empty:
        raise InputError(args.tidy, "variant", "no run with a 'baseline' run of the same data set and model")
    with atomic_path(args.out) as tmp:
        gains.to_csv(tmp, index=False, float_format="%.4f")
    if args.html:
        with atomic_path(args.html) as tmp:
            tmp.write_text(to_html(gains), encoding="utf-8")
    for _, row in gains[gains["metric"] == "AP"].iterrows():
        print(f"{row['dataset']}/{row['model']} {row['run']} AP {format_gain(row)} over {row['seeds']} seed(s)")
    print(f"gains: {len(gains)} rows -> {args.out}")
