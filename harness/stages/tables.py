"""Stage ``tables``: the paper's Tables 1-4 with the reproduced numbers, as CSV, HTML and LaTeX.

    python -m harness tables --tidy TIDY.csv --spec configs/paper/tables.yaml --paper-dir configs/paper \
        --out-dir DIR

Writes ``DIR/<table>.csv`` (one line per row and column: row_id, row_name, dataset, model, run, column,
ours, ours_std, seeds, paper, diff, status; percent), ``DIR/<table>.html`` (a ``<table>`` fragment) and
``DIR/<table>.tex`` (booktabs), both pandas Stylers of the table's cells, for every table of the spec. Rows whose run has no metrics say so
("not run: lvis/faster_r50/x2") instead of failing.
"""

import argparse
from pathlib import Path

HELP = "paper Tables 1-4 beside the reproduced numbers (CSV, HTML, LaTeX), from the tidy metrics CSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV of `python -m harness aggregate`")
    parser.add_argument("--spec", required=True, help="tables spec (configs/paper/tables.yaml)")
    parser.add_argument("--paper-dir", required=True, help="folder of the paper's table CSVs (configs/paper)")
    parser.add_argument("--out-dir", required=True, help="folder for <table>.csv, .html and .tex")
    parser.add_argument("--figures", help="figures spec (configs/paper/figures.yaml): runs a figure reads are not "
                                          "extra table rows (default: none)")


def run(args: argparse.Namespace) -> None:
    from harness.io import atomic_path
    from harness.report.aggregate import read_tidy
    from harness.report.tables import (NOT_RUN, OTHER_WORK, REPRODUCED, build_table, figure_run_ids, load_spec, to_csv,
                                       to_html, to_latex, unlisted_runs)

    spec = load_spec(args.spec)
    tidy = read_tidy(args.tidy)
    out_dir = Path(args.out_dir)
    figure_runs = figure_run_ids(_read_yaml(args.figures)) if args.figures else set()
    unlisted = unlisted_runs(spec, tidy, figure_runs)
    for name in spec["tables"]:
        if unlisted.get(name):
            print(f"tables: {name}: runs named by no table or figure, added as extra rows: {', '.join(unlisted[name])}")
        result = build_table(name, spec, Path(args.paper_dir), tidy, tuple(unlisted.get(name, ())))
        to_csv(result, out_dir / f"{name}.csv")
        for suffix, text in ((".html", to_html(result)), (".tex", to_latex(result))):
            with atomic_path(out_dir / f"{name}{suffix}") as tmp:
                tmp.write_text(text)
        reproducible = result.count(REPRODUCED) + result.count(NOT_RUN)
        print(f"tables: {name}: {result.count(REPRODUCED)} of {reproducible} rows reproduced, "
              f"{result.count(NOT_RUN)} missing, {result.count(OTHER_WORK)} other work, "
              f"{len(result.missing_metrics)} cells without their metric -> {out_dir / name}.{{csv,html,tex}}")


def _read_yaml(path: str) -> dict:
    from harness.errors import InputError
    from harness.io import read_yaml

    payload = read_yaml(path, "figures spec") or {}
    if not isinstance(payload, dict):
        raise InputError(path, None, "expected a mapping with 'figures'")
    return payload
