"""The run table: every training run of a profile as data (data set x model x run id, with its seeds).

A *run id* names what is trained: ``baseline``, or a method file ``configs/methods/<run id>.yaml``
(``method``: a registry id; ``options``: its options; ``layout``: the group layout for a method that
needs ``groups``; ``table1_row``: the paper's Table 1 row it fills, if any). A profile says where each
run id trains:

- ``baselines``: the (data set, model) pairs trained with the plain recipe, with their seeds;
- ``runs``: entries ``{runs: all | [ids], datasets: [...], models: [...], layout: NAME}``; every run
  trains on each listed data set and model, with the seeds of that pair's baseline (which it starts
  from or beside); ``layout`` overrides the method files' group layout for that entry (COCO-LT's own
  bins).

The Snakemake rules (``workflow/rules/common.smk``) build every job from :func:`run_table`, the report
takes each run's method from it; neither names a method.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.errors import InputError

METHOD_RUNS_DIR = Path("configs/methods")
METHOD_RUN_KEYS = {"method", "table1_row", "options", "layout"}
BASELINE = "baseline"


@dataclass(frozen=True)
class RunSpec:
    """What a run id means, independent of data set and model (one method file, or the baseline).

    ``options`` are (name, value) pairs in file order, values as strings (booleans lower-case).
    """

    run_id: str
    method: str
    options: tuple[tuple[str, str], ...] = ()
    layout: str | None = None
    table1_row: int | str | None = None


@dataclass(frozen=True)
class Run:
    """One row of the run table: a run id trained on one data set and model, at ``seeds``."""

    dataset: str
    model: str
    spec: RunSpec
    seeds: tuple[int, ...]
    layout: str | None = None  # the group layout this run uses (the spec's, or its entry's override)

    @property
    def run_id(self) -> str:
        return self.spec.run_id

    @property
    def method(self) -> str:
        return self.spec.method


BASELINE_SPEC = RunSpec(BASELINE, BASELINE)


def read_run_spec(path: Path, source: str) -> RunSpec:
    """One method file, checked against the method registry (method id, option names, needs)."""
    from harness.methods import METHODS
    from harness.methods.base import OptionError

    if not path.is_file():
        raise InputError(source, "runs", f"no method file {path}")
    spec = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(spec) - METHOD_RUN_KEYS) if isinstance(spec, dict) else ["(top level)"]
    if unknown or "method" not in spec:
        raise InputError(path, unknown[0] if unknown else "method",
                         f"a method file has the keys {sorted(METHOD_RUN_KEYS)} ('method' required)")
    if spec["method"] not in METHODS:
        raise InputError(path, "method", f"unknown method {spec['method']!r}; known: {', '.join(sorted(METHODS))}")
    method = METHODS[spec["method"]]
    options = tuple((k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (spec.get("options") or {}).items())
    for key, _ in options:
        if key not in method.options or key in method.needs:
            settable = sorted(set(method.options) - set(method.needs))
            raise InputError(path, f"options.{key}", f"method {method.name} has no option {key!r} to set here; "
                                                     f"known: {', '.join(settable) or 'none'}")
    try:
        method.check_options(dict(options))
    except OptionError as err:
        raise InputError(path, f"options.{err.key}", err.message) from None
    if "groups" in method.needs and not spec.get("layout"):
        raise InputError(path, "layout", f"method {method.name} needs a group layout: name one of the profile's "
                                         "bags.group_layouts")
    return RunSpec(path.stem, spec["method"], options, spec.get("layout"), spec.get("table1_row"))


def selected_specs(config: dict, source: str, directory: Path = METHOD_RUNS_DIR) -> dict[str, RunSpec]:
    """Run id -> spec of every run id the profile's ``runs`` entries name ("all": every method file)."""
    ids = [run_id for entry in config.get("runs", []) for run_id in entry_run_ids(entry, directory)]
    return {run_id: read_run_spec(directory / f"{run_id}.yaml", source) for run_id in dict.fromkeys(ids)}


def entry_run_ids(entry: dict, directory: Path = METHOD_RUNS_DIR) -> list[str]:
    """The run ids of one ``runs`` entry: its list, or every method file's name for "all"."""
    return sorted(p.stem for p in directory.glob("*.yaml")) if entry["runs"] == "all" else entry["runs"]


def seeds_of(config: dict, dataset: str, model: str) -> list[int]:
    """The seeds of (data set, model)'s baseline (a fit split: its source's) and of every run on it."""
    entry = baseline_entry(config, dataset, model)
    return entry.get("seeds", config["seeds"])


def baseline_entry(config: dict, dataset: str, model: str) -> dict:
    """The ``baselines`` entry of (data set, model) (a fit split: its source's), or an empty one."""
    dataset = dataset.removesuffix("_fit")
    return next((b for b in config["baselines"] if b["dataset"] == dataset and b["model"] == model), {})


def run_table(config: dict, source: str, directory: Path = METHOD_RUNS_DIR) -> list[Run]:
    """Every run of the profile: its baselines first, then its ``runs`` entries in order (no duplicates).

    Raises :class:`InputError` naming the profile field for an unknown model, a (data set, model) without a
    baseline to start from, or a group layout the profile does not define.
    """
    specs = selected_specs(config, source, directory)
    table = [Run(b["dataset"], b["model"], BASELINE_SPEC, tuple(seeds_of(config, b["dataset"], b["model"])))
             for b in config["baselines"]]
    for index, entry in enumerate(config.get("runs", [])):
        ids = entry_run_ids(entry, directory)
        for dataset in entry["datasets"]:
            for model in entry["models"]:
                _check_pair(config, dataset, model, f"runs.{index}", source)
                table += [_run(config, specs[i], dataset, model, entry.get("layout"), f"runs.{index}", source)
                          for i in ids]
    return list(dict.fromkeys(table))


def _run(config: dict, spec: RunSpec, dataset: str, model: str, layout: str | None, field: str,
         source: str) -> Run:
    layout = (layout or spec.layout) if spec.layout else None
    if layout is not None and layout not in config["bags"]["group_layouts"]:
        raise InputError(source, f"{field}.layout", f"run {spec.run_id}: unknown group layout {layout!r}; "
                                                    f"known: {sorted(config['bags']['group_layouts'])}")
    return Run(dataset, model, spec, tuple(seeds_of(config, dataset, model)), layout)


def _check_pair(config: dict, dataset: str, model: str, field: str, source: str) -> None:
    if model not in config["models"]:
        raise InputError(source, f"{field}.models", f"unknown model {model!r}; known: {sorted(config['models'])}")
    if not baseline_entry(config, dataset, model):
        raise InputError(source, f"{field}.datasets", f"runs on ({dataset}, {model}) start from or beside its "
                                                      "baseline: add it to `baselines`")


def run_methods(table: list[Run]) -> dict[str, str]:
    """Run id -> method id, for the tidy table's ``method`` column."""
    return {run.run_id: run.method for run in table}
