"""Stage ``summary``: what ``make reproduce`` prints at the end: where the report is and the claims.

    python -m harness summary --claims results/default/report/claims.json --report reports/index.html

One line per claim: its verdict (holds, does not hold, inconclusive, not run), id, "(release
artefact)" for claims about a defect of the authors' release, and the explanation (which carries the
slack's 95 % interval where it is not a single point); a claim's cause, when given, on the next line.
"""

import argparse

HELP = "print where the report is and the paper-versus-reproduced claims summary"

STATUSES = ("holds", "does not hold", "inconclusive", "not run")
MARK = {status: status.ljust(13) for status in STATUSES}


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
          f"{counts.get('inconclusive', 0)} inconclusive, {counts.get('not run', 0)} not run "
          f"(of {len(claims['results'])})")
    for result in claims["results"]:
        kind = " (release artefact)" if result.get("kind") == "release_artefact" else ""
        print(f"  {MARK.get(result['status'], result['status'])}  {result['id']}{kind}: {result['explanation']}")
        if result.get("cause"):
            print(f"  {'':13}  cause: {result['cause']}")
