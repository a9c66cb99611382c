"""Stage ``claims``: check the paper's claims (``configs/paper/claims.yaml``) against the reproduced metrics.

    python -m harness claims --tidy TIDY.csv --claims configs/paper/claims.yaml --out CLAIMS.json \
        [--csv CLAIMS.csv]

TIDY.csv has columns dataset, model, method, variant, seed, metric, value (variant = run id, values
fractions); seeds are averaged. Each claim "holds", "does not hold", or is "not run" (a run or metric
it needs is not in the table). CLAIMS.json holds the summary and, per claim, the verdict, the numbers
used (percent; correlation coefficients as they are) and a one-line explanation; --csv adds a table.
"""

import argparse

HELP = "check the paper's claims (configs/paper/claims.yaml) against a tidy metrics table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV: dataset, model, method, variant, seed, "
                                                      "metric, value (fractions)")
    parser.add_argument("--claims", required=True, help="claims file (configs/paper/claims.yaml)")
    parser.add_argument("--out", required=True, help="JSON: summary and one result per claim")
    parser.add_argument("--csv", help="also write the results as a CSV table")


def run(args: argparse.Namespace) -> None:
    from harness.io import atomic_path, write_json_atomic
    from harness.report.claims import check_claims, claims_table, load_claims, summary

    claims = load_claims(args.claims)
    results = check_claims(claims, _read_tidy(args.tidy), source=args.tidy)
    counts = summary(results)
    write_json_atomic(args.out, {"claims": str(args.claims), "tidy": str(args.tidy), "summary": counts,
                                 "results": [result.to_json() for result in results]})
    if args.csv:
        with atomic_path(args.csv) as tmp:
            claims_table(results).to_csv(tmp, index=False)
    print(f"claims: {counts['holds']} hold, {counts['does not hold']} do not hold, {counts['not run']} not run "
          f"(of {len(results)}) -> {args.out}")


def _read_tidy(path: str):
    """The tidy table; a missing, empty or malformed file is an :class:`InputError`."""
    from pathlib import Path

    import pandas as pd

    from harness.errors import InputError

    if not Path(path).is_file():
        raise InputError(path, None, "tidy metrics table does not exist")
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(path, None, f"not a readable CSV table: {err}") from None
