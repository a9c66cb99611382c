"""Stage ``figure3``: the paper's Figure 3 (classifier weight norms per method) from weight-norm files.

    python -m harness figure3 --norms baseline=B.csv RFS=R.csv re-weight-cls=W.csv BAGS=G.csv \
        (--thresholds 4 16 64 | --stats TRAIN.json) --png FIG.png --svg FIG.svg

``--stats`` reads the bin thresholds a train annotation file records (``info.bin_thresholds``).
"""

import argparse

HELP = "Figure 3: classifier weight norms of baseline, RFS, re-weight-cls and BAGS, with bin boundaries"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--norms", nargs="+", required=True, metavar="LABEL=PATH",
                        help="one weight_norms/norms.csv per panel, in panel order")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--thresholds", nargs="+", type=float,
                       help="train-instance counts at which the bins split (dashed lines)")
    where.add_argument("--stats", help="a train annotation file recording info.bin_thresholds")
    parser.add_argument("--png", required=True, help="output: the figure as PNG")
    parser.add_argument("--svg", required=True, help="output: the figure as SVG")


def parse_labelled_paths(specs: list[str]) -> dict[str, str]:
    """``["a=x.csv", "b=y.csv"]`` -> ``{"a": "x.csv", "b": "y.csv"}`` (order kept); bad or repeated labels
    are an InputError."""
    from harness.errors import InputError

    labelled: dict[str, str] = {}
    for spec in specs:
        label, separator, path = spec.partition("=")
        if not separator or not label or not path:
            raise InputError("--norms", None, f"expected LABEL=PATH, got {spec!r}")
        if label in labelled:
            raise InputError("--norms", None, f"label {label!r} given twice")
        labelled[label] = path
    return labelled


def run(args: argparse.Namespace) -> None:
    from harness.report.figure3 import draw_figure3

    norms = parse_labelled_paths(args.norms)
    thresholds = list(args.thresholds) if args.thresholds else _recorded_thresholds(args.stats)
    draw_figure3(norms, thresholds, args.png, args.svg)
    print(f"figure3: {len(norms)} panels ({', '.join(norms)}) -> {args.png}, {args.svg}")


def _recorded_thresholds(path: str) -> list[float]:
    from harness.data.category_stats import load_category_stats
    from harness.errors import InputError

    thresholds = load_category_stats(path).bin_thresholds
    if not thresholds:
        raise InputError(path, "info.bin_thresholds", "missing: pass --thresholds instead")
    return list(thresholds)
