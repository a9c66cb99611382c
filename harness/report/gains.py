"""Gains over the baseline: every run of a (data set, model) minus that model's baseline, with intervals.

For a scope (data set, model) that has a run ``baseline`` and any other run r of it, and each metric m
both report:

- ``gain``: mean over r's seeds minus mean over the baseline's seeds (percent points);
- ``per_seed``: r[s] - baseline[s] for every seed s both have (the paired differences);
- ``low`` / ``high``: the 95 % percentile interval of the gain over the same draws the claims use
  (:func:`harness.report.claims.draw_values`: seed ids resampled with one draw shared by both runs,
  times the paired image-bootstrap replicates of every run where the bootstrap table has them; rounded
  outward to order statistics), the same procedure a claim on that difference uses;
- ``run_mean``/``run_std``, ``baseline_mean``/``baseline_std``: seed mean and sample standard deviation
  (0 with one seed) and ``seeds``, the number of seeds of r.

Values are percent points (the tidy table's fractions x 100); correlation metrics (``weight_norm_rho``)
are left out. This is the table behind the README's "run - baseline" numbers and the report's gains
section.
"""

import math
import zlib

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from harness.report.claims import LEVEL, Measurements, RunRef, draw_values, measurements
from harness.report.tables import PaperTableStyler

BASELINE_RUN = "baseline"
DEFAULT_METRICS = ("AP", "APr", "APc", "APf", "AP1", "AP2", "AP3", "AP4", "ACCbg", "ACCfg")
GAIN_COLUMNS = ["dataset", "model", "run", "metric", "seeds", "run_mean", "run_std", "baseline_mean",
                "baseline_std", "gain", "low", "high", "per_seed", "interval"]


def gains_table(tidy: pd.DataFrame, replicates: pd.DataFrame | None = None, metrics=DEFAULT_METRICS,
                draws: int = 1000, seed: int = 0, source: str = "tidy table",
                replicate_source: str = "bootstrap table") -> pd.DataFrame:
    """One row per (data set, model, run != baseline, metric) present for both the run and its baseline.

    Rows keep the tidy table's scope order, runs sorted by name, metrics in ``metrics`` order.
    """
    data = measurements(tidy, replicates, source, replicate_source)
    rows = []
    for ref in sorted(data.seeds, key=lambda r: (r.dataset, r.model, r.run, _order(r.metric, metrics))):
        if ref.run == BASELINE_RUN or ref.metric not in metrics:
            continue
        base = RunRef(ref.dataset, ref.model, BASELINE_RUN, ref.metric)
        if base in data.seeds:
            rows.append(_gain_row(ref, base, data, draws, seed))
    return pd.DataFrame(rows, columns=GAIN_COLUMNS)


def _order(metric: str, metrics) -> int:
    return metrics.index(metric) if metric in metrics else len(metrics)


def _gain_row(ref: RunRef, base: RunRef, data: Measurements, draws: int, seed: int) -> dict:
    """The gain of ``ref`` over ``base`` (module docstring), in percent points."""
    run_values, base_values = data.seeds[ref], data.seeds[base]
    gain = 100 * (data.mean(ref) - data.mean(base))
    paired = [100 * (run_values[s] - base_values[s]) for s in sorted(run_values, key=str) if s in base_values]
    rng = np.random.default_rng([seed, zlib.crc32(f"gain {ref.scope} {ref.run} {ref.metric}".encode())])
    drawn, method = draw_values([ref, base], data, draws, rng)
    low = high = gain
    if drawn is not None:
        differences = 100 * (drawn[ref] - drawn[base])
        differences = differences[np.isfinite(differences)]
        if differences.size:
            low = float(np.quantile(differences, (1 - LEVEL) / 2, method="lower"))  # outward, as the claims
            high = float(np.quantile(differences, (1 + LEVEL) / 2, method="higher"))
    return {"dataset": ref.dataset, "model": ref.model, "run": ref.run, "metric": ref.metric,
            "seeds": len(run_values), "run_mean": 100 * data.mean(ref), "run_std": _std(run_values),
            "baseline_mean": 100 * data.mean(base), "baseline_std": _std(base_values), "gain": gain,
            "low": low, "high": high, "per_seed": " ".join(f"{v:+.2f}" for v in paired), "interval": method}


def _std(values: dict) -> float:
    """Sample standard deviation of the seed values in percent points (0 for one seed)."""
    array = 100 * np.array(list(values.values()), dtype=float)
    return float(array.std(ddof=1)) if array.size > 1 else 0.0


def format_gain(row: dict | pd.Series, digits: int = 2) -> str:
    """``+3.35 (+2.66 to +4.23)``: a gain and its interval as the README and the report print them."""
    if any(math.isnan(float(row[k])) for k in ("gain", "low", "high")):
        return "n/a"
    return f"{row['gain']:+.{digits}f} ({row['low']:+.{digits}f} to {row['high']:+.{digits}f})"


def to_html(gains: pd.DataFrame, metrics=("AP", "AP1", "AP2", "AP3", "AP4", "APr")) -> str:
    """A ``<table class="paper-table" id="gains">`` fragment (a pandas Styler through the paper tables'
    template): one row per run, one cell per metric, ``gain (low to high)``.

    A cell whose interval excludes 0 is classed ``gain-better`` or ``gain-worse``; one that straddles it,
    ``gain-unclear``; a metric the run lacks, ``gain-missing`` (empty).
    """
    shown = [m for m in metrics if m in set(gains["metric"])]
    labels = ["data set / model", "run", "seeds", *shown]
    rows, classes = [], []
    for (dataset, model, run), group in gains.groupby(["dataset", "model", "run"], sort=False):
        by_metric = {row["metric"]: row for _, row in group.iterrows()}
        rows.append([f"{dataset} / {model}", run, int(group["seeds"].iloc[0]),
                     *(format_gain(by_metric[m]) if m in by_metric else "" for m in shown)])
        classes.append(["scope", "run", "seeds", *(_gain_class(by_metric.get(m)) for m in shown)])
    columns = range(len(labels))
    styler = PaperTableStyler(pd.DataFrame(rows, columns=columns), cell_ids=False)
    styler = styler.hide(axis="index").format(escape="html").format_index(lambda i: escape(labels[i]), axis=1)
    styler.set_td_classes(pd.DataFrame(classes, columns=columns))
    return styler.to_html(table_attributes=Markup('class="paper-table" id="gains"'), exclude_styles=True,
                          caption="Gains over the baseline (percent points, 95 % interval)")


def _gain_class(row: pd.Series | None) -> str:
    """``gain-better``/``gain-worse`` when the interval excludes 0 above/below, ``gain-unclear`` when it does not."""
    if row is None:
        return "gain-missing"
    return "gain-better" if row["low"] > 0 else "gain-worse" if row["high"] < 0 else "gain-unclear"
