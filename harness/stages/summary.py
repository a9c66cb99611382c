"""Stage ``summary``: what ``make reproduce`` prints at the end: where the report is and the claims.

    python -m harness summary --claims results/default/report/claims.json --report reports/index.html
"""

import argparse

HELP = "print where the report is and the paper-versus-reproduced claims summary"

MARK = {"holds": "holds        ", "does not hold": "does not hold", "not run": "not run      "}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--claims", required=True, help="claims JSON of `python -m harness claims`")
    parser.add_argument("--report", required=True, help="the HTML report")


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.errors import InputError
    from harness.io import read_json

    claims = read_json(args.claims, "claims file")
    if not isinstance(claims, dict) or "results" not in claims or "summary" not in claims:
        raise InputError(args.claims, "results", "missing: not the output of `python -m harness claims`")
    report = Path(args.report)
    if not report.is_file():
        raise InputError(args.report, None, "the report does not exist: run the pipeline first")
    print(f"\nReport: {report.resolve()}")
    counts = claims["summary"]
    print(f"Claims of the paper: {counts.get('holds', 0)} hold, {counts.get('does not hold', 0)} do not hold, "
          f"{counts.get('not run', 0)} not run (of {len(claims['results'])})")
    for result in claims["results"]:
        print(f"  {MARK.get(result['status'], result['status'])}  {result['id']}: {result['explanation']}")
