"""Stage ``report``: the self-contained HTML report page (overview, claims, tables, figures, runs).

    python -m harness report --profile PROFILE.yaml --results RESULTS_DIR [--metrics METRICS.json ...] \
        [--tables T1.html ...] [--table-csv T1.csv ...] [--claims CLAIMS.json] [--figure ID=CAPTION=PNG ...] \
        [--train-stats DATASET=TRAIN.json ...] [--long-tail-runs DATASET/MODEL/RUN ...] --out reports/index.html

Reads the runs of the given metrics files (each run's ``evaluate/metrics.json``: its ``run`` field names
the run, its folder, two levels up, holds the training meta, log and benchmarks; no other run folder is
read), the data set summaries and data-stage benchmark files under RESULTS_DIR, the table fragments of
``python -m harness tables`` (each named by its file stem: table1.html -> section ``table1``) and their
CSVs (``--table-csv``, same stems: a chart of ours minus the paper's mAP per reproduced row), the claims
JSON of ``python -m harness claims`` and PNG figures (``--figure``: id, caption and path separated by
the first and the last ``=``). The long-tail figure (per-category AP against train instances) is drawn
here from the metrics files' per-category AP of the runs ``--long-tail-runs`` names (default: LVIS,
Faster R50, baseline and bags) and each data set's train file (``--train-stats``). Inputs left out show a "not available" note; a
file that is named but missing is an error. The page, rendered from the jinja2 templates of
``harness/report/templates/``, embeds everything (no external references).
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
    parser.add_argument("--table-csv", nargs="*", default=[], metavar="TABLE.csv",
                        help="the tables' CSVs (DIR/table1.csv ...; same file stems as --tables): a chart of "
                             "ours - paper mAP per reproduced row in each table's section")
    parser.add_argument("--claims", help="claims JSON of `python -m harness claims`")
    parser.add_argument("--figure", action="append", default=[], metavar="ID=CAPTION=PNG",
                        help="a figure: id (figure1), caption, PNG path; repeat for more")
    parser.add_argument("--skipped-figure", action="append", default=[], metavar="ID=MISSING",
                        help="a figure not drawn and the runs it lacks (a trimmed profile), e.g. "
                             "figure3=lvis/faster_r50/rfs; shown as a note")
    parser.add_argument("--train-stats", nargs="*", default=[], metavar="DATASET=PATH",
                        help="train annotations or category statistics of a data set (the long-tail figure's "
                             "x axis), e.g. lvis=results/default/data/lvis/train.json")
    parser.add_argument("--long-tail-runs", nargs="*", metavar="DATASET/MODEL/RUN",
                        help="runs of the long-tail figure, one panel per data set and model with two or more "
                             "(default: lvis/faster_r50/baseline lvis/faster_r50/bags)")
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


def parse_train_stats(spec: str) -> tuple[str, str]:
    """``lvis=data/lvis/train.json`` -> (data set, path)."""
    from harness.errors import InputError

    dataset, sep, path = spec.partition("=")
    if not (sep and dataset and path):
        raise InputError("--train-stats", spec, "expected DATASET=PATH (e.g. lvis=data/lvis/train.json)")
    return dataset, path


def parse_long_tail_run(spec: str) -> tuple[str, str, str]:
    """``lvis/faster_r50/bags`` -> (data set, model, run id)."""
    from harness.errors import InputError

    parts = tuple(spec.split("/"))
    if len(parts) != 3 or not all(parts):
        raise InputError("--long-tail-runs", spec, "expected DATASET/MODEL/RUN (e.g. lvis/faster_r50/bags)")
    return parts


def _named_by_stem(paths: list[str], option: str) -> dict:
    """File stem -> path; two files with one stem are an :class:`InputError` (each names its section)."""
    from pathlib import Path

    from harness.errors import InputError

    named = {Path(path).stem: Path(path) for path in paths}
    if len(named) != len(paths):
        raise InputError(option, None, "two files share a file name; each names its section")
    return named


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    from harness.config import load_profile
    from harness.errors import InputError
    from harness.io import atomic_path
    from harness.provenance import git_commit
    from harness.report.html import ReportInputs, claims_summary, read_claims, render_report

    tables = _named_by_stem(args.tables, "--tables")
    train_stats = dict(parse_train_stats(spec) for spec in args.train_stats)
    if len(train_stats) != len(args.train_stats):
        raise InputError("--train-stats", None, "a data set is named twice")
    long_tail = [parse_long_tail_run(spec) for spec in args.long_tail_runs] if args.long_tail_runs else None
    inputs = ReportInputs(profile=load_profile(args.profile), results_root=Path(args.results),
                          metrics=[Path(path) for path in args.metrics], tables=tables,
                          table_csvs=_named_by_stem(args.table_csv, "--table-csv"),
                          train_stats={dataset: Path(path) for dataset, path in train_stats.items()},
                          long_tail_runs=long_tail,
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
