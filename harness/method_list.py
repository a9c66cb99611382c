"""Command ``methods``: every registered method, its kind, options and needs, and the method files
(run ids) of ``configs/methods/`` that use it.

    python -m harness methods            # all methods
    python -m harness methods bags       # one method, with its run ids
"""

import argparse
from pathlib import Path

HELP = "list the methods (registry), their kind, options and the method files that use them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="METHOD", help="methods to show (default: all)")
    parser.add_argument("--method-files", default="configs/methods",
                        help="folder of the method files (run ids) (default: configs/methods)")


def run(args: argparse.Namespace) -> None:
    from harness.methods import METHODS, get_method

    methods = [get_method(name) for name in args.names] if args.names else list(METHODS.values())
    runs = _run_ids_by_method(Path(args.method_files))
    for method in methods:
        print("\n".join(describe(method, runs.get(method.name, []))))


def describe(method, run_ids: list[str]) -> list[str]:
    """The lines that describe one method (name, kind, description, options, needs, run ids)."""
    lines = [f"{method.name}  [{method.kind}{', starts from the baseline' if method.needs_init else ''}]",
             f"    {method.description}"]
    for name, option in method.options.items():
        source = " (filled in by the pipeline)" if name in method.needs else ""
        lines.append(f"    --option {name}=...  {option.description}{source}")
    if run_ids:
        lines.append(f"    method files: {', '.join(run_ids)}")
    return lines


def _run_ids_by_method(directory: Path) -> dict[str, list[str]]:
    """Method name -> the run ids (method file names) that use it; unreadable files are skipped here
    (``check-config`` and the pipeline report them)."""
    import yaml

    runs: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            spec = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError:
            continue
        if isinstance(spec, dict) and isinstance(spec.get("method"), str):
            runs.setdefault(spec["method"], []).append(path.stem)
    return runs
