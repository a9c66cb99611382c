"""Command-line arguments shared by the stages: CPU threads, and the method with its options."""

import argparse


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
