"""Command-line arguments shared by the stages: CPU threads, the method with its options, and the run a
stage's outputs belong to."""

import argparse

RUN_DEST = "run_identity"  # not "run": the command line keeps each stage's entry point in args.run


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: all cores)")


def add_method_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", default="baseline", help="method id (harness.methods.METHODS)")
    parser.add_argument("--option", action="append", metavar="KEY=VALUE", help="method option (repeatable)")


def resolve_method(args: argparse.Namespace):
    """The method object and its options (text, as given) from ``--method`` / ``--option``; every
    option is known to the method and its value parses (harness.methods.base.Method.check_options),
    checked here, before any heavy import or work. Errors name the flag and the option."""
    from harness.errors import InputError
    from harness.methods import get_method
    from harness.methods.base import OptionError, parse_options

    method = get_method(args.method)
    try:
        options = parse_options(args.option)
    except ValueError as err:
        raise InputError("--option", None, str(err)) from None
    try:
        method.check_options(options)
    except OptionError as err:
        raise InputError("--option", err.key, err.message) from None
    return method, options


def add_run_argument(parser: argparse.ArgumentParser) -> None:
    """``--run DATASET/MODEL/RUN_ID/SEED``: which run the outputs belong to (recorded in them; aggregate and
    the report take a run's identity from there, never from its folder). Optional for use by hand."""
    parser.add_argument("--run", dest=RUN_DEST, type=_run_identity, metavar="DATASET/MODEL/RUN_ID/SEED",
                        help="the run these outputs belong to, recorded in them, e.g. lvis/faster_r50/bags/0 "
                             "(data set, model, run id, seed)")


def _run_identity(text: str):
    """argparse type of ``--run``: a :class:`harness.runs.RunIdentity`; a bad value is a usage error."""
    from harness.runs import RunIdentity

    try:
        return RunIdentity.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run_record(args: argparse.Namespace, method=None, options: dict | None = None) -> dict | None:
    """The ``run`` entry of a stage's meta.json (and result files): data set, model, run id and seed of
    ``--run``, plus the method's id and options where the stage has them; None without ``--run``."""
    identity = getattr(args, RUN_DEST, None)
    if identity is None:
        return None
    record = identity.to_json()
    if method is not None:
        record.update(method=method.name, options=dict(options or {}))
    return record
