"""One tidy table of every run's metrics: the report's single source of reproduced numbers.

A run folder is ``<runs root>/<data set>/<model>/<run id>/seed<k>/``. Only two files of it are read:
``evaluate/metrics.json`` (AP, APr, AP1..APk, ACC*, ``*_mask``: fractions, -1 = not applicable) and
``weight_norms/summary.json`` (Spearman's rho of classifier norm vs train instances, background norm).
Each number becomes one row (dataset, model, method, variant, seed, metric, value); values stay
fractions as stored, and metrics that do not apply (-1, null, NaN) are left out.

Beside it, a wide table of the paired image bootstrap (``evaluate/bootstrap.json``): one row per
(dataset, model, method, variant, seed, metric) with the metric's value in every replicate, columns
b0..b{B-1}; -1 (a mean over no category in that replicate) is kept for the consumer to handle.
"""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import InputError
from harness.io import atomic_path, read_json

TIDY_COLUMNS = ["dataset", "model", "method", "variant", "seed", "metric", "value"]
METRICS_FILE = Path("evaluate") / "metrics.json"
BOOTSTRAP_FILE = Path("evaluate") / "bootstrap.json"
IDENTITY_COLUMNS = TIDY_COLUMNS[:-1]  # a run's metric: the rows of the tidy and of the replicates table
SORT_COLUMNS = ["dataset", "model", "variant", "seed", "metric"]
NORMS_SUMMARY_FILE = Path("weight_norms") / "summary.json"
# weight-norm summary key -> metric name in the tidy table
NORMS_SUMMARY_METRICS = {"spearman_rho_norm_vs_train_instances": "weight_norm_rho",
                         "background_norm": "background_norm"}
NOT_APPLICABLE = -1.0  # evaluate's marker for a metric without data (e.g. APl with no large objects)
NON_METRIC_KEY = re.compile(r"^(thresholds|num_cats_bin\d+)$")
SEED_DIR = re.compile(r"^seed(\d+)$")


def collect_metrics(runs_root: Path, run_methods: dict[str, str] | None = None, keep: set | None = None) -> pd.DataFrame:
    """Every metric of every run folder under ``runs_root``, one row each, sorted.

    ``run_methods`` maps a run id to its method name (``x2`` -> ``x2``, ``bags_n8`` -> ``bags``); a run id
    it does not list is its own method. ``keep``: the (data set, model, run id, seed) folders to read (the
    run table's); others are ignored. Raises :class:`InputError` naming the file on malformed JSON.
    """
    rows = []
    for seed_dir, seed in _seed_dirs(Path(runs_root), keep=keep):
        identity = _run_identity(seed_dir, seed, run_methods or {})
        for metric, value in _run_metrics(seed_dir).items():
            rows.append({**identity, "metric": metric, "value": value})
    tidy = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    tidy = tidy.astype({"seed": "int64", "value": "float64"})
    return tidy.sort_values(SORT_COLUMNS, kind="stable", ignore_index=True)


def _run_identity(seed_dir: Path, seed: int, run_methods: dict[str, str]) -> dict:
    """dataset, model, method, variant and seed of a ``<data set>/<model>/<run id>/seed<k>`` folder."""
    dataset, model, variant = seed_dir.parts[-4:-1]
    return {"dataset": dataset, "model": model, "method": run_methods.get(variant, variant), "variant": variant,
            "seed": seed}


def _seed_dirs(runs_root: Path, files=(METRICS_FILE, NORMS_SUMMARY_FILE), keep: set | None = None) -> list[tuple[Path, int]]:
    """(folder, seed) of every ``<data set>/<model>/<run id>/seed<k>`` folder holding one of ``files``
    (and, with ``keep``, whose (data set, model, run id, seed) it lists)."""
    found = set()
    for relative in files:
        for path in runs_root.glob(f"*/*/*/seed*/{relative.as_posix()}"):
            seed_dir = path.parents[len(relative.parts) - 1]
            match = SEED_DIR.match(seed_dir.name)
            if match and (keep is None or (*seed_dir.parts[-4:-1], int(match.group(1))) in keep):
                found.add((seed_dir, int(match.group(1))))
    return sorted(found)


def _run_metrics(seed_dir: Path) -> dict[str, float]:
    """Metric name -> value of one seed folder, from whichever of its two files exist."""
    metrics = {}
    metrics_path = seed_dir / METRICS_FILE
    if metrics_path.is_file():
        for key, value in _json_object(metrics_path, "metrics file").items():
            if not NON_METRIC_KEY.match(key) and _is_number(value) and value != NOT_APPLICABLE:
                metrics[key] = float(value)
    summary_path = seed_dir / NORMS_SUMMARY_FILE
    if summary_path.is_file():
        summary = _json_object(summary_path, "weight-norm summary")
        for key, metric in NORMS_SUMMARY_METRICS.items():
            if _is_number(summary.get(key)):  # rho = -1 is a real value here, not a marker
                metrics[metric] = float(summary[key])
    return metrics


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


def collect_replicates(runs_root: Path, run_methods: dict[str, str] | None = None,
                       keep: set | None = None) -> pd.DataFrame:
    """Every run's bootstrap replicates: one row per (dataset, model, method, variant, seed, metric),
    columns b0..b{B-1}, sorted like the tidy table.

    All runs must have the same B, and the runs of one data set the same resamples (seed and val image
    ids), or their replicates would not be paired: otherwise an :class:`InputError` names the file.
    """
    identities, values = [], []
    first, resamples = None, {}  # first file read; data set -> (file, seed, image ids digest)
    for seed_dir, seed in _seed_dirs(Path(runs_root), (BOOTSTRAP_FILE,), keep):
        path = seed_dir / BOOTSTRAP_FILE
        identity = _run_identity(seed_dir, seed, run_methods or {})
        dataset = identity["dataset"]
        payload = _bootstrap_payload(path)
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
