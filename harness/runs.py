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

A :class:`RunIdentity` (data set, model, run id, seed) names one run's seed: the rules pass it to every
run stage as ``--run DATASET/MODEL/RUN_ID/SEED``, the stages record it in their outputs (meta.json's
``run``, metrics.json's ``run``), and ``aggregate`` and the report take it from there, never from a path.
"""

import re
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
RUN_FIELDS = ("dataset", "model", "run_id", "seed")
RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a data set, model or run id: no '/', no space


@dataclass(frozen=True)
class RunIdentity:
    """Which run a stage's output belongs to: one seed of a run id on one data set and model.

    Spelled ``DATASET/MODEL/RUN_ID/SEED`` on the command line (:meth:`parse`) and as a JSON object with
    the keys of :data:`RUN_FIELDS` in files (:meth:`to_json`, :meth:`from_json`); see
    docs/pipeline.md#a-runs-identity.
    """

    dataset: str
    model: str
    run_id: str
    seed: int

    def __str__(self) -> str:
        return f"{self.dataset}/{self.model}/{self.run_id}/{self.seed}"

    @classmethod
    def parse(cls, text: str) -> "RunIdentity":
        """``lvis/faster_r50/bags/0`` -> RunIdentity; a ValueError says what is wrong with ``text``."""
        parts = text.split("/") if isinstance(text, str) else []
        if len(parts) != 4:
            raise ValueError(f"{text!r}: expected DATASET/MODEL/RUN_ID/SEED, e.g. lvis/faster_r50/bags/0")
        for name, part in zip(RUN_FIELDS[:3], parts):
            if not RUN_NAME.match(part):
                raise ValueError(f"{text!r}: {name} {part!r} must be a word of letters, digits, '_', '.' or '-'")
        if not parts[3].isdigit() or not parts[3].isascii():
            raise ValueError(f"{text!r}: seed {parts[3]!r} must be a non-negative integer")
        return cls(parts[0], parts[1], parts[2], int(parts[3]))

    def to_json(self) -> dict:
        """The identity as a JSON object: dataset, model, run_id, seed."""
        return {"dataset": self.dataset, "model": self.model, "run_id": self.run_id, "seed": self.seed}

    @classmethod
    def from_json(cls, payload, source, writer: str = "the stage that wrote it") -> "RunIdentity":
        """The identity recorded in file ``source`` (``payload``: its ``run`` value; other keys such as
        method and options are ignored). Absent or malformed: an :class:`InputError` naming the file and
        the field; ``writer`` (the stage to rerun, e.g. ``evaluate``) completes the message."""
        if payload is None:
            raise InputError(source, "run", "missing: the file does not say which run it belongs to "
                                            f"(written before the stages recorded --run): rerun {writer}")
        if not isinstance(payload, dict):
            raise InputError(source, "run", f"expected an object with {list(RUN_FIELDS)}, "
                                            f"got {type(payload).__name__}")
        for name in RUN_FIELDS[:3]:
            if not (isinstance(payload.get(name), str) and RUN_NAME.match(payload[name])):
                raise InputError(source, f"run.{name}", f"expected a name (letters, digits, '_', '.', '-'), "
                                                        f"got {payload.get(name)!r}")
        seed = payload.get("seed")
        if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
            raise InputError(source, "run.seed", f"expected a non-negative integer, got {seed!r}")
        return cls(payload["dataset"], payload["model"], payload["run_id"], seed)


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


def figure_runs(spec: dict) -> list[tuple[str, str, str]]:
    """(data set, model, run id) of every run a figure spec of configs/paper/figures.yaml reads: its
    ``run`` ({dataset, model, run}), or its ``runs``: a list of such runs, or run ids (or a legend label ->
    run id mapping) on the spec's own ``dataset`` and ``model`` (None where it names none)."""
    if "run" in spec:
        return [tuple(spec["run"][key] for key in ("dataset", "model", "run"))]
    runs = spec["runs"]
    runs = list(runs.values()) if isinstance(runs, dict) else runs  # legend label -> run id
    return [(r["dataset"], r["model"], r["run"]) if isinstance(r, dict) else (spec.get("dataset"), spec.get("model"), r)
            for r in runs]
