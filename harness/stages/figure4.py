"""Stage ``figure4``: the paper's Figure 4 (mAP and AP1..AP4 against beta) from the tidy metrics table.

    python -m harness figure4 --tidy TIDY.csv --png FIG.png --svg FIG.svg
"""

import argparse

HELP = "Figure 4: influence of the others sampling ratio beta on mAP and AP1..AP4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV (dataset, model, method, variant, seed, "
                                                      "metric, value)")
    parser.add_argument("--png", required=True)
    parser.add_argument("--svg", required=True)


def run(args: argparse.Namespace) -> None:
    from harness.errors import InputError
    from harness.report.aggregate import read_tidy
    from harness.report.figure4 import BETA_ORDER, BETA_VARIANTS, baseline_map, beta_sweep, draw_figure4

    tidy = read_tidy(args.tidy)
    sweep = beta_sweep(tidy)
    if sweep.empty:
        raise InputError(args.tidy, None, f"no beta-sweep runs (variants {', '.join(BETA_VARIANTS.values())})")
    draw_figure4(sweep, baseline_map(tidy), args.png, args.svg)
    missing = [beta for beta in BETA_ORDER if beta not in set(sweep.beta)]
    print(f"figure4: {len(BETA_ORDER) - len(missing)} beta values (missing: {', '.join(missing) or 'none'})"
          f" -> {args.png}, {args.svg}")
