"""Stage ``figure4``: the paper's Figure 4 (mAP and AP1..AP4 against beta) from the tidy metrics table.

    python -m harness figure4 --tidy TIDY.csv --runs bags_beta0=0 bags=8 bags_betan=n ... \
        --png FIG.png --svg FIG.svg

``--runs`` gives the sweep: run id = its beta (the pipeline reads both from the run table and
``configs/paper/figures.yaml``); the runs are those of LVIS, Faster R50.
"""

import argparse

HELP = "Figure 4: influence of the others sampling ratio beta on mAP and AP1..AP4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tidy", required=True, help="tidy metrics CSV (dataset, model, method, variant, seed, "
                                                      "metric, value)")
    parser.add_argument("--runs", required=True, nargs="+", metavar="RUN=BETA",
                        help="the sweep's runs and their betas, e.g. bags_beta0=0 bags=8 bags_betan=n")
    parser.add_argument("--png", required=True, help="output: the figure as PNG")
    parser.add_argument("--svg", required=True, help="output: the figure as SVG")


def run(args: argparse.Namespace) -> None:
    from harness.errors import InputError
    from harness.report.aggregate import read_tidy
    from harness.report.figure4 import baseline_map, beta_key, beta_sweep, draw_figure4

    beta_of = parse_runs(args.runs)
    tidy = read_tidy(args.tidy)
    sweep = beta_sweep(tidy, beta_of)
    if sweep.empty:
        raise InputError(args.tidy, None, f"no beta-sweep runs (variants {', '.join(beta_of)})")
    betas = sorted(set(beta_of.values()), key=beta_key)
    draw_figure4(sweep, baseline_map(tidy), args.png, args.svg, betas)
    missing = [beta for beta in betas if beta not in set(sweep.beta)]
    print(f"figure4: {len(betas) - len(missing)} beta values (missing: {', '.join(missing) or 'none'})"
          f" -> {args.png}, {args.svg}")


def parse_runs(pairs: list[str]) -> dict[str, str]:
    """``["bags=8", ...]`` -> {"bags": "8", ...}; a beta is a non-negative number, n or all."""
    from harness.errors import InputError

    beta_of = {}
    for pair in pairs:
        run_id, _, beta = pair.partition("=")
        if not run_id or not _is_beta(beta):
            raise InputError("--runs", None, f"{pair!r} is not RUN=BETA (BETA a non-negative number, n or all)")
        beta_of[run_id] = beta
    return beta_of


def _is_beta(text: str) -> bool:
    if text in ("n", "all"):
        return True
    try:
        return float(text) >= 0
    except ValueError:
        return False
