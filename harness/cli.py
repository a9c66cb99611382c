"""Command line: ``python -m harness <command> ...``; ``--help`` lists the commands.

Stage modules keep heavy imports (torch, mmdet) inside ``run``, so ``--help`` stays instant.
"""

import argparse
import importlib
import sys
import warnings

from harness.engine.deferred_imports import defer_unused_imports
from harness.errors import HarnessError

# command name -> module exposing HELP, add_arguments(parser), run(args); data-flow order.
COMMANDS = {
    "check-config": "harness.config",
    "methods": "harness.method_list",
    "synth": "harness.stages.synth",
    "coco-lt": "harness.stages.coco_lt",
    "dataset-stats": "harness.stages.dataset_stats",
    "preview": "harness.stages.preview",
    "groups": "harness.stages.groups",
    "train": "harness.stages.train",
    "cache-features": "harness.stages.cache_features",
    "retrain-classifier": "harness.stages.retrain_classifier",
    "posthoc": "harness.stages.posthoc",
    "heldout-split": "harness.stages.heldout_split",
    "predict": "harness.stages.predict",
    "evaluate": "harness.stages.evaluate",
    "weight-norms": "harness.stages.weight_norms",
    "figure1": "harness.stages.figure1",
    "figure2": "harness.stages.figure2",
    "figure3": "harness.stages.figure3",
    "figure4": "harness.stages.figure4",
    "aggregate": "harness.stages.aggregate",
    "tables": "harness.stages.tables",
    "claims": "harness.stages.claims",
    "gains": "harness.stages.gains",
    "report": "harness.stages.report",
    "summary": "harness.stages.summary",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Arguments show their default (unless their help already says it); the epilog keeps its lines."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def usage_examples(doc: str | None) -> str | None:
    """The ``python -m harness ...`` lines of a module docstring (with their continuation lines), as an
    "examples:" epilog."""
    lines, taking = [], False
    for line in (doc or "").splitlines():
        taking = line.strip().startswith("python -m harness") or (taking and lines and lines[-1].endswith("\\"))
        if taking:
            lines.append("    " + " ".join(line.split()))  # a docstring's "\\"-newline joins lines
    return "examples:\n" + "\n".join(lines) if lines else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="BAGS reproduction harness: the pipeline stages that Snakemake runs, callable by hand.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP, formatter_class=HelpFormatter,
                                  epilog=usage_examples(module.__doc__))
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    # mmengine 0.10.7 imports pkg_resources on every config load; the deprecation notice is noise here.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    args = build_parser().parse_args(argv)
    defer_unused_imports()
    try:
        args.run(args)
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
