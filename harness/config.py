"""Profiles (``configs/profiles/*.yaml``): loading and validation, shared with Snakemake.

    python -m harness check-config configs/profiles/lvis_v05.yaml
    python -m harness check-config configs/profiles/default.yaml --shallow

The schema lives in ``workflow/schemas/config.schema.yaml``; ``workflow/rules/common.smk`` calls
:func:`validate_config` on the config Snakemake loaded, so both entry points apply the same rules.
"""

import argparse
import math
from pathlib import Path

import jsonschema
import yaml

from harness.algorithms.group_layout import validate_thresholds
from harness.errors import InputError
from harness.runs import run_table

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"

DATA_SOURCES = ("synthetic", "real_data")

HELP = "validate a profile (configs/profiles/NAME.yaml) and list every missing or unusable input it names"


def load_schema() -> dict:
    if not SCHEMA_PATH.is_file():
        raise InputError(SCHEMA_PATH, None, "config schema not found (is the harness installed from its repository?)")
    return yaml.safe_load(SCHEMA_PATH.read_text())


def validate_config(config: dict, source: str) -> dict:
    """Raise :class:`InputError` naming ``source`` and the field if ``config`` breaks the schema."""
    if isinstance(config, dict):
        sources = [key for key in DATA_SOURCES if key in config]
        if len(sources) != 1:
            raise InputError(source, "/".join(DATA_SOURCES), f"a profile has exactly one data source "
                                                             f"({' or '.join(DATA_SOURCES)}); found {sources or 'none'}")
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        field = ".".join(str(part) for part in first.absolute_path) or "(top level)"
        raise InputError(source, field, first.message)
    _check_finite(config, source)
    _check_thresholds(config["bins"]["thresholds"], source, "bins.thresholds")
    if "synthetic" in config:
        _check_synthetic(config["synthetic"], source)
    for i, run in enumerate(config["baselines"]):
        if run["model"] not in config["models"]:
            raise InputError(source, f"baselines.{i}.model", f"unknown model {run['model']!r}; known: {sorted(config['models'])}")
        _check_baseline_init(config["baselines"], i, source)
        _check_baseline_seeds(config, i, source)
    run_table(config, source)  # method files, models, layouts, baselines to start from
    for name, thresholds in config["bags"]["group_layouts"].items():
        _check_thresholds(thresholds, source, f"bags.group_layouts.{name}")
    return config


def _check_synthetic(synthetic: dict, source: str) -> None:
    """What the schema cannot say about ``synthetic``: ranges given as [min, max] are in order (also
    applied to the synth stage's options, which may hold one kind's section only)."""
    low, high = synthetic["scene"]["object_size"]
    if low > high:
        raise InputError(source, "synthetic.scene.object_size", f"min {low} exceeds max {high}")
    lvis = synthetic.get("lvis")
    if lvis and lvis["val_min"] > lvis["val_max"]:
        raise InputError(source, "synthetic.lvis.val_min", f"{lvis['val_min']} exceeds val_max {lvis['val_max']}")


def _check_finite(node, source: str, where: str = "") -> None:
    """No number of the profile is NaN or infinite (YAML's .nan / .inf pass the schema's ranges)."""
    if isinstance(node, float) and not math.isfinite(node):
        raise InputError(source, where or "(top level)", f"must be a finite number, got {node}")
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        _check_finite(value, source, f"{where}.{key}" if where else str(key))


def check_input_files(config: dict, source: str, deep: bool = False) -> list:
    """Every input the profile names exists and is not empty (:mod:`harness.profile_inputs`): model
    configs, reference statistics, the COCO-LT profile and a real-data profile's files and folders, all
    checked, one :class:`InputError` listing every problem of a required one. ``deep``: also each file's
    shape and the baselines' pretrained checkpoints. Returns the optional inputs' problems."""
    from harness.profile_inputs import check_profile_inputs

    return check_profile_inputs(config, source, deep=deep)


def _check_baseline_init(baselines: list[dict], index: int, source: str) -> None:
    """An ``init`` names another baseline of the same data set, a ``pretrained_on`` another data set's
    baseline of the same model, listed before this one (no cycles); not both."""
    run = baselines[index]
    where = f"baselines.{index}"
    if "init" in run and "pretrained_on" in run:
        raise InputError(source, where, "set `init` or `pretrained_on`, not both")
    if "init" in run:
        earlier = [b["model"] for b in baselines[:index] if b["dataset"] == run["dataset"]]
        if run["init"] not in earlier:
            raise InputError(source, f"{where}.init", f"{run['init']!r} is not a baseline of data set "
                                                      f"{run['dataset']!r} listed before this one; listed: {earlier}")
    if "pretrained_on" in run:
        earlier = [b["dataset"] for b in baselines[:index] if b["model"] == run["model"]]
        if run["pretrained_on"] not in earlier:
            raise InputError(source, f"{where}.pretrained_on", f"no baseline of model {run['model']!r} on "
                                                               f"{run['pretrained_on']!r} is listed before this one")


def _check_baseline_seeds(config: dict, index: int, source: str) -> None:
    """A baseline's own seeds are some of the profile's."""
    extra = sorted(set(config["baselines"][index].get("seeds", [])) - set(config["seeds"]))
    if extra:
        raise InputError(source, f"baselines.{index}.seeds", f"seeds {extra} are not in the profile's seeds "
                                                             f"{config['seeds']}")


def load_profile(path: str | Path) -> dict:
    """Read and validate one profile file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "profile does not exist (profiles live in configs/profiles/)")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise InputError(path, None, f"malformed YAML: {err}") from None
    validate_config(config if config is not None else {}, str(path))
    if config["profile"] != path.stem:
        raise InputError(path, "profile", f"is {config['profile']!r} but the file is named {path.name}")
    return config


def _check_thresholds(thresholds: list, source: str, field: str) -> None:
    try:
        validate_thresholds(thresholds)
    except ValueError as err:
        raise InputError(source, field, str(err)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile YAML file, e.g. configs/profiles/lvis_v05.yaml")
    parser.add_argument("--shallow", action="store_true",
                        help="only check that inputs exist and are not empty, as Snakemake does at start "
                             "(default: also open annotation files and pretrained checkpoints)")


def run(args: argparse.Namespace) -> None:
    config = load_profile(args.profile)
    optional = check_input_files(config, args.profile, deep=not args.shallow)
    for problem in optional:
        print(f"{args.profile}: warning: {problem.line()} ({problem.input.purpose})")
    layouts = ", ".join(f"{k}={v}" for k, v in config["bags"]["group_layouts"].items())
    print(f"{args.profile}: valid (profile {config['profile']}, seeds {config['seeds']}, group layouts {layouts})")
