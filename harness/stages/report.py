"""Stage ``report``: the self-contained HTML report page (overview, claims, tables, figures, runs).

    python -m harness report --profile PROFILE.yaml --results RESULTS_DIR [--metrics METRICS.json ...] \
        [--tables T1.html ...] [--claims CLAIMS.json] [--figure ID=CAPTION=PNG ...] --out reports/index.html

Reads the runs of the given metrics files (each run's ``evaluate/metrics.json``: its ``run`` field names
the run, its folder, two levels up, holds the training meta, log and benchmarks; no other run folder is
read), the data set summaries and data-stage benchmark files under RESULTS_DIR, the table fragments of
``python -m harness tables`` (each named by its file stem: table1.html -> section ``table1``), the claims JSON of ``python -m harness claims`` and PNG figures (``--figure``: id, caption
and path separated by the first and the last ``=``). Inputs left out show a "not available" note; a
file that is named but missing is an error. The page embeds everything (no external references).
"""

import argparse

HELP = "the self-contained HTML report page: overview, claims, tables, figures and runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help="profile YAML (configs/profiles/NAME.yaml)")
    parser.add_argument("--results", required=True, help="results folder of the profile (results/NAME): "
                                                         "stats/ and benchmarks/")
    parser.add_argument("--metrics", nargs="*", default=[], metavar="METRICS.json",
                        help="the runs' evaluate/metrics.json files (each names its run in field 'run')")
    parser.add_argument("--tables", nargs="*", default=[], help="table HTML fragments (DIR/table1.html ...)")
    parser.add_argument("--claims", help="claims JSON of `python -m harness claims`")
    parser.add_argument("--figure", action="append", default=[], metavar="ID=CAPTION=PNG",
                        help="a figure: id (figure1), caption, PNG path; repeat for more")
    parser.add_argument("--skipped-figure", action="append", default=[], metavar="ID=MISSING",
                        help="a figure not drawn and the runs it lacks (a trimmed profile), e.g. "
                             "figure3=lvis/faster_r50/rfs; shown as a note")
    parser.add_argument("--out", required=True, help="the HTML page (reports/index.html)")


def parse_figure(spec: str) -> tuple[str, str, str]:
    """``ID=CAPTION=PNG`` -> (id, caption, path); the caption may itself contain ``=``."""
    from harness.errors import InputError

    if spec.count("=") < 2:
        raise InputError("--figure", spec, "expected ID=CAPTION=PNG")
    figure_id, rest = spec.split("=", 1)
    caption, path = rest.rsplit("=", 1)
    if not figure_id or not path:
        raise InputError("--figure", spec, "expected ID=CAPTION=PNG with a non-empty id and path")
    return figure_id, caption, path


def parse_skipped(spec: str) -> tuple[str, str]:
    """``figure3=lvis/faster_r50/rfs`` -> (figure id, what it lacks)."""
    from harness.errors import InputError

    figure_id, sep, missing = spec.partition("=")
    if not (sep and figure_id and missing):
        raise InputError("--skipped-figure", spec, "expected ID=MISSING (e.g. figure3=lvis/faster_r50/rfs)")
    return figure_id, missing


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.config import load_profile
    from harness.errors import InputError
    from harness.io import atomic_path
    from harness.provenance import git_commit
    from harness.report.html import ReportInputs, claims_summary, read_claims, render_report

    tables = {Path(path).stem: Path(path) for path in args.tables}
    if len(tables) != len(args.tables):
        raise InputError("--tables", None, "two fragments share a file name; each names its section")
    inputs = ReportInputs(profile=load_profile(args.profile), results_root=Path(args.results),
                          metrics=[Path(path) for path in args.metrics], tables=tables,
                          claims_json=Path(args.claims) if args.claims else None,
                          figures=[(i, c, Path(p)) for i, c, p in map(parse_figure, args.figure)],
                          skipped_figures=[parse_skipped(spec) for spec in args.skipped_figure],
                          commit=git_commit())
    page = render_report(inputs)
    with atomic_path(args.out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    size_kb = Path(args.out).stat().st_size / 1024
    if inputs.claims_json is not None:
        counts = claims_summary(read_claims(inputs.claims_json)["results"])
        claims = (f"{counts['holds']} hold, {counts['does not hold']} do not hold, "
                  f"{counts['inconclusive']} inconclusive, {counts['not run']} not run")
    else:
        claims = "no claims JSON"
    print(f"report: {args.out} ({size_kb:.0f} kB; {len(tables)} tables, {len(inputs.figures)} figures; "
          f"claims: {claims})")
