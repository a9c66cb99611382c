"""Stage ``figure1``: the paper's Figure 1 from weight-norm files (PNG and SVG).

    python -m harness figure1 --norms COCO.csv LVIS.csv --summaries COCO.json LVIS.json \
        --titles "balanced" "long-tail" --png FIG.png --svg FIG.svg
"""

import argparse

HELP = "Figure 1: classifier weight norms vs training instances, balanced vs long-tail model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--norms", nargs="+", required=True, help="weight-norm CSVs, one per panel")
    parser.add_argument("--summaries", nargs="+", required=True, help="their weight-norm summaries (rho)")
    parser.add_argument("--titles", nargs="+", required=True, help="panel titles, one per norms file")
    parser.add_argument("--png", required=True, help="output: the figure as PNG")
    parser.add_argument("--svg", required=True, help="output: the figure as SVG")


def run(args: argparse.Namespace) -> None:
    import pandas as pd

    from harness.errors import InputError
    from harness.io import atomic_path, read_json
    from harness.report.figure1 import figure1

    if not len(args.norms) == len(args.summaries) == len(args.titles):
        raise InputError("--norms/--summaries/--titles", None, "need one of each per panel")
    tables = [pd.read_csv(path) for path in args.norms]
    rhos = [read_json(path)["spearman_rho_norm_vs_train_instances"] for path in args.summaries]
    fig = figure1(tables, args.titles, rhos)
    for path, fmt in ((args.png, "png"), (args.svg, "svg")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150)
    print(f"figure1: {len(tables)} panels -> {args.png}, {args.svg}")
