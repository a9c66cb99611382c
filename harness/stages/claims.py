"""Stage ``claims``: judge the paper's claims (``configs/paper/claims.yaml``) on the reproduced metrics.

    python -m harness claims --tidy TIDY.csv --claims configs/paper/claims.yaml --out CLAIMS.json \
        [--csv CLAIMS.csv] [--bootstrap REPLICATES.csv] [--draws 1000] [--seed 0]

TIDY.csv has columns dataset, model, method, variant, seed, metric, value (variant = run id, values
fractions). REPLICATES.csv (optional) is the paired image bootstrap: one row per dataset, model,
method, variant, seed and metric, columns b0 .. b{B-1} the metric on B resamples of the val images
(the same resamples for every run; -1 = undefined in that resample). Each claim "holds", "does not
hold" or is "inconclusive" from a 95 % percentile interval over resampled seeds (x image replicates
when given; --draws draws without them, generator seeded by --seed), or is "not run" (a run or metric
it needs is not in the table); see :mod:`harness.report.claims`. CLAIMS.json holds the summary and, per
claim, the verdict, kind, slack and interval (percent; correlation coefficients as they are), the
per-part verdicts of all_of, the numbers used and a one-line explanation; --csv adds a table.
"""

import argparse

HELP = "judge the paper's claims (configs/paper/claims.yaml) on a tidy metrics table, with intervals"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV: dataset, model, method, variant, seed, "
                                                      "metric, value (fractions)")
    parser.add_argument("--claims", required=True, help="claims file (configs/paper/claims.yaml)")
    parser.add_argument("--out", required=True, help="JSON: summary and one result per claim")
    parser.add_argument("--csv", help="also write the results as a CSV table")
    parser.add_argument("--bootstrap", help="paired image-bootstrap replicates CSV: dataset, model, method, "
                                            "variant, seed, metric, b0 .. b{B-1} (-1 = undefined)")
    parser.add_argument("--draws", type=_positive, default=1000,
                        help="seed-resampling draws when there are no image replicates (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling generator (default 0)")


def run(args: argparse.Namespace) -> None:
    from harness.io import atomic_path, write_json_atomic
    from harness.report.aggregate import read_replicates, read_tidy
    from harness.report.claims import check_claims, claims_table, load_claims, summary

    claims = load_claims(args.claims)
    bootstrap = getattr(args, "bootstrap", None)
    replicates = read_replicates(bootstrap) if bootstrap else None
    results = check_claims(claims, read_tidy(args.tidy), source=args.tidy,
                           replicates=replicates, draws=getattr(args, "draws", 1000), seed=getattr(args, "seed", 0),
                           replicate_source=str(bootstrap))
    counts = summary(results)
    write_json_atomic(args.out, {"claims": str(args.claims), "tidy": str(args.tidy), "bootstrap": bootstrap,
                                 "summary": counts, "results": [result.to_json() for result in results]})
    if args.csv:
        with atomic_path(args.csv) as tmp:
            claims_table(results).to_csv(tmp, index=False)
    print(f"claims: {counts['holds']} hold, {counts['does not hold']} do not hold, "
          f"{counts['inconclusive']} inconclusive, {counts['not run']} not run (of {len(results)}) -> {args.out}")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
