"""Stage ``figure4``: the paper's Figure 4 (mAP and AP1..AP4 against beta) from the tidy metrics table.

    python -m harness figure4 --tidy TIDY.csv --png FIG.png --svg FIG.svg
"""

import argparse

HELP = "Figure 4: influence of the others sampling ratio beta on mAP and AP1..AP4"
TIDY_COLUMNS = ("dataset", "model", "method", "variant", "seed", "metric", "value")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV (dataset, model, method, variant, seed, "
                                                      "metric, value)")
    parser.add_argument("--png", required=True)
    parser.add_argument("--svg", required=True)


def read_tidy_csv(path: str):
    """The tidy table; a missing file or column is an InputError naming the file."""
    from pathlib import Path

    import pandas as pd

    from harness.errors import InputError

    if not Path(path).is_file():
        raise InputError(path, None, "tidy metrics file does not exist")
    tidy = pd.read_csv(path, dtype={"dataset": str, "model": str, "variant": str, "metric": str})
    missing = [column for column in TIDY_COLUMNS if column not in tidy.columns]
    if missing:
        raise InputError(path, None, f"tidy metrics file lacks column(s) {', '.join(missing)}")
    return tidy


def run(args: argparse.Namespace) -> None:
    from harness.errors import InputError
    from harness.report.figure4 import BETA_ORDER, BETA_VARIANTS, baseline_map, beta_sweep, draw_figure4

    tidy = read_tidy_csv(args.tidy)
    sweep = beta_sweep(tidy)
    if sweep.empty:
        raise InputError(args.tidy, None, f"no beta-sweep runs (variants {', '.join(BETA_VARIANTS.values())})")
    draw_figure4(sweep, baseline_map(tidy), args.png, args.svg)
    missing = [beta for beta in BETA_ORDER if beta not in set(sweep.beta)]
    print(f"figure4: {len(BETA_ORDER) - len(missing)} beta values (missing: {', '.join(missing) or 'none'})"
          f" -> {args.png}, {args.svg}")
