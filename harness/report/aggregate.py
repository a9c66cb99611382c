"""One tidy table of every run's metrics: the report's single source of reproduced numbers.

Only the files it is given are read: each run's ``evaluate/metrics.json`` (AP, APr, AP1..APk, ACC*,
``*_mask``: fractions, -1 = not applicable) and, where given, its ``weight_norms/summary.json`` (Spearman's
rho of classifier norm vs train instances, background norm). Which run a file belongs to comes from its
``run`` field (data set, model, run id, seed: what the stage was given as ``--run``), never from where the
file lies, so a run folder that is not passed in never reaches the tables. Each number becomes one row
(dataset, model, method, variant, seed, metric, value); values stay fractions as stored, and metrics that
do not apply (-1, null, NaN) are left out.

Beside it, a wide table of the paired image bootstrap (``evaluate/bootstrap.json``, identity from its
``run`` field too): one row per (dataset, model, method, variant, seed, metric) with the metric's value in
every replicate, columns b0..b{B-1}; -1 (a mean over no category in that replicate) is kept for the
consumer to handle.
"""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import InputError
from harness.io import atomic_path, read_json
from harness.runs import RunIdentity

TIDY_COLUMNS = ["dataset", "model", "method", "variant", "seed", "metric", "value"]
IDENTITY_COLUMNS = TIDY_COLUMNS[:-1]  # a run's metric: the rows of the tidy and of the replicates table
SORT_COLUMNS = ["dataset", "model", "variant", "seed", "metric"]
# weight-norm summary key -> metric name in the tidy table
NORMS_SUMMARY_METRICS = {"spearman_rho_norm_vs_train_instances": "weight_norm_rho",
                         "background_norm": "background_norm"}
NOT_APPLICABLE = -1.0  # evaluate's marker for a metric without data (e.g. APl with no large objects)
NON_METRIC_KEY = re.compile(r"^(thresholds|num_cats_bin\d+)$")


def collect_metrics(metrics_files, norms_files=(), run_methods: dict[str, str] | None = None) -> pd.DataFrame:
    """Every metric of the given metrics files and weight-norm summaries, one row each, sorted.

    Each file's ``run`` field names its run; ``run_methods`` maps a run id to its method name (``x2`` ->
    ``x2``, ``bags_n8`` -> ``bags``), a run id it does not list is its own method. Raises
    :class:`InputError` naming the file on malformed JSON, a missing or malformed ``run`` field, or two
    files of one kind that name the same run.
    """
    rows = []
    for kind, writer, files, read in (("metrics file", "evaluate", metrics_files, _metrics_values),
                                      ("weight-norm summary", "weight-norms", norms_files, _norms_values)):
        seen: dict[RunIdentity, Path] = {}
        for path in map(Path, files):
            payload = _json_object(path, kind)
            run = _identity(payload, path, seen, writer)
            identity = _identity_columns(run, run_methods or {})
            rows += [{**identity, "metric": metric, "value": value} for metric, value in read(payload).items()]
    tidy = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    tidy = tidy.astype({"seed": "int64", "value": "float64"})
    return tidy.sort_values(SORT_COLUMNS, kind="stable", ignore_index=True)


def _identity(payload: dict, path: Path, seen: dict, writer: str) -> RunIdentity:
    """The run a file belongs to, from its ``run`` field (absent: rerun stage ``writer`` with --run);
    ``seen`` (run -> file, of files of the same kind) catches a second file of the same run, which would
    count its numbers twice."""
    run = RunIdentity.from_json(payload.get("run"), path, writer=f"`python -m harness {writer}` with --run")
    if run in seen:
        raise InputError(path, "run", f"names run {run}, as {seen[run]} does: each run is read once")
    seen[run] = path
    return run


def _identity_columns(run: RunIdentity, run_methods: dict[str, str]) -> dict:
    """dataset, model, method, variant (the run id) and seed of a run."""
    return {"dataset": run.dataset, "model": run.model, "method": run_methods.get(run.run_id, run.run_id),
            "variant": run.run_id, "seed": run.seed}


def _metrics_values(payload: dict) -> dict[str, float]:
    """Metric name -> value of a metrics.json: numbers only, without thresholds, bin sizes and -1."""
    return {key: float(value) for key, value in payload.items()
            if not NON_METRIC_KEY.match(key) and _is_number(value) and value != NOT_APPLICABLE}


def _norms_values(payload: dict) -> dict[str, float]:
    """Metric name -> value of a weight-norm summary (rho = -1 is a real value here, not a marker)."""
    return {metric: float(payload[key]) for key, metric in NORMS_SUMMARY_METRICS.items()
            if _is_number(payload.get(key))}


def _json_object(path: Path, what: str) -> dict:
    """The JSON object in ``path``; malformed JSON or another top-level type is an :class:`InputError`."""
    payload = read_json(path, what)
    if not isinstance(payload, dict):
        raise InputError(path, None, f"expected a JSON object of metrics, got {type(payload).__name__}")
    return payload


def _is_number(value) -> bool:
    """A finite int or float (not a bool, string, list or null)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def write_tidy(tidy: pd.DataFrame, path: str | Path) -> None:
    """Write the tidy table as CSV, atomically (full float precision)."""
    with atomic_path(path) as tmp:
        tidy.to_csv(tmp, index=False, columns=TIDY_COLUMNS)


def read_tidy(path: str | Path) -> pd.DataFrame:
    """Read a tidy CSV written by :func:`write_tidy`; a missing file or column is an :class:`InputError`."""
    path = Path(path)
    tidy = _read_table(path, "tidy metrics file does not exist (make it with `python -m harness aggregate`)",
                       TIDY_COLUMNS, f"a tidy metrics file has {TIDY_COLUMNS}")
    try:
        return tidy[TIDY_COLUMNS].astype({"seed": "int64", "value": "float64"})
    except (ValueError, TypeError) as err:
        raise InputError(path, "seed/value", f"not numeric: {err}") from None


def _read_table(path: Path, absent: str, columns: list[str], layout: str) -> pd.DataFrame:
    """A CSV with identity columns read as strings; missing file, bad CSV or a missing column of
    ``columns`` is an :class:`InputError` (``absent``: the message for a missing file; ``layout``: what the
    file should have)."""
    if not path.is_file():
        raise InputError(path, None, absent)
    try:
        table = pd.read_csv(path, dtype={"dataset": str, "model": str, "method": str, "variant": str, "metric": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(path, None, f"not a CSV file: {err}") from None
    for column in columns:
        if column not in table.columns:
            raise InputError(path, column, f"missing column; {layout}")
    return table


def collect_replicates(bootstrap_files, run_methods: dict[str, str] | None = None) -> pd.DataFrame:
    """The given bootstrap files' replicates: one row per (dataset, model, method, variant, seed, metric),
    columns b0..b{B-1}, sorted like the tidy table; each file's run comes from its ``run`` field.

    All runs must have the same B, and the runs of one data set the same resamples (seed and val image
    ids), or their replicates would not be paired: otherwise an :class:`InputError` names the file.
    """
    identities, values = [], []
    first, resamples, seen = None, {}, {}  # first file read; data set -> (file, seed, image ids digest)
    for path in map(Path, bootstrap_files):
        payload = _bootstrap_payload(path)
        identity = _identity_columns(_identity(payload, path, seen, "evaluate"), run_methods or {})
        dataset = identity["dataset"]
        first = first or (path, payload["replicates"])
        if payload["replicates"] != first[1]:
            raise InputError(path, "replicates", f"{payload['replicates']} replicates, but {first[0]} has {first[1]}: "
                                                 "every run needs the same number")
        key = (payload["seed"], payload["image_ids_sha256"])
        other = resamples.setdefault(dataset, (path, *key))
        if key != other[1:]:
            raise InputError(path, "seed/image_ids_sha256", f"resamples differ from those of {other[0]} "
                                                            f"(same data set {dataset!r}): the runs are not paired")
        for metric, replicates in payload["metrics"].items():
            identities.append({**identity, "metric": metric})
            values.append(replicates)
    columns = [f"b{i}" for i in range(first[1] if first else 0)]
    wide = pd.concat([pd.DataFrame(identities, columns=IDENTITY_COLUMNS),
                      pd.DataFrame(np.array(values, dtype=float).reshape(len(values), len(columns)), columns=columns)],
                     axis=1)
    wide = wide.astype({"seed": "int64"})
    return wide.sort_values(SORT_COLUMNS, kind="stable", ignore_index=True)


def _bootstrap_payload(path: Path) -> dict:
    """A checked bootstrap.json: replicates B >= 1, seed, image_ids_sha256, metrics name -> B numbers."""
    payload = _json_object(path, "bootstrap file")
    replicates = payload.get("replicates")
    if not (isinstance(replicates, int) and not isinstance(replicates, bool) and replicates >= 1):
        raise InputError(path, "replicates", f"must be an integer >= 1, got {replicates!r}")
    if not isinstance(payload.get("seed"), int) or not isinstance(payload.get("image_ids_sha256"), str):
        raise InputError(path, "seed/image_ids_sha256", "missing: a bootstrap file names its resamples")
    metrics = payload.get("metrics")
    if not isinstance(metrics, dict):
        raise InputError(path, "metrics", "must be an object: metric name -> list of replicate values")
    for name, values in metrics.items():
        if not (isinstance(values, list) and len(values) == replicates and all(map(_is_number, values))):
            raise InputError(path, f"metrics.{name}", f"must be a list of {replicates} finite numbers")
    return payload


def write_replicates(wide: pd.DataFrame, path: str | Path) -> None:
    """Write the replicates table as CSV, atomically (full float precision)."""
    with atomic_path(path) as tmp:
        wide.to_csv(tmp, index=False)


def read_replicates(path: str | Path) -> pd.DataFrame:
    """Read a replicates CSV written by :func:`write_replicates`; malformed input is an :class:`InputError`."""
    path = Path(path)
    wide = _read_table(path, "bootstrap replicates file does not exist "
                             "(make it with `python -m harness aggregate --bootstrap-out`)",
                       IDENTITY_COLUMNS, f"a replicates file has {IDENTITY_COLUMNS} and b0..b{{B-1}}")
    replicates = [c for c in wide.columns if c not in IDENTITY_COLUMNS]
    for i, column in enumerate(replicates):
        if column != f"b{i}":
            raise InputError(path, column, f"unexpected column; the replicate columns are b0..b{len(replicates) - 1}, "
                                           "in order")
    try:
        wide = wide[IDENTITY_COLUMNS + replicates].astype({"seed": "int64", **{c: "float64" for c in replicates}})
    except (ValueError, TypeError) as err:
        raise InputError(path, "seed/b*", f"not numeric: {err}") from None
    missing = wide[replicates].isna().any(axis=1)
    if missing.any():
        raise InputError(path, f"line {int(np.flatnonzero(missing)[0]) + 2}", "a replicate value is missing")
    return wide
