"""Stage ``figure2``: the paper's Figure 2 (the BAGS module) drawn from a group layout (PNG and SVG).

    python -m harness figure2 --groups LAYOUT.json --png FIG.png --svg FIG.svg [--beta 8]
"""

import argparse

HELP = "Figure 2: the balanced group softmax module as built, from a group layout"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--groups", required=True, help="group layout JSON written by the groups stage")
    parser.add_argument("--png", required=True, help="output: the figure as PNG")
    parser.add_argument("--svg", required=True, help="output: the figure as SVG")
    parser.add_argument("--beta", default="8", help='"others" sampling ratio shown in the figure (8, n, all, ...)')


def run(args: argparse.Namespace) -> None:
    from harness.algorithms.group_layout import layout_from_json
    from harness.errors import InputError
    from harness.io import read_json
    from harness.report.figure2 import draw_figure2

    layout_json = read_json(args.groups, "group layout")
    try:
        layout_from_json(layout_json)  # validate here, so that a drawing bug is not reported as bad input
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(args.groups, None, f"not a group layout written by the groups stage: {err!r}") from None
    draw_figure2(layout_json, args.png, args.svg, beta=str(args.beta))
    groups = len(layout_json["groups"]) - 1
    print(f"figure2: G0 + {groups} groups, {layout_json.get('num_logits')} logits, beta {args.beta}"
          f" -> {args.png}, {args.svg}")
