"""The report's long-tail figure: each category's AP against its number of train instances.

The paper is about this picture: a detector trained on long-tail data does well on the categories with
many train instances and badly on the rare ones, and BAGS lifts the tail. One panel per data set and
model with at least two of the chosen runs (default: the baseline and BAGS of Faster R50 on LVIS; the
report rule passes the runs ``configs/paper/figures.yaml`` names under ``report_figures.long_tail``).
Each point is one category with val instances (y: its AP, bbox, mean over the run's seeds given; x: its
train instances, log scale); a solid segment per run and bin is the mean over the bin's categories
(AP1..APk of the evaluation); dashed vertical lines are the bin edges (a category with exactly t train
instances lies right of the line at t, as in the evaluation's bins).

Per-category AP comes from each run's ``evaluate/metrics.json`` (``per_category.bbox``: category id ->
AP, -1 without val instances), the train instances from the data set's train annotations or statistics
(``--train-stats DATASET=PATH``), the bin edges from the metrics file's ``thresholds`` (the bins the
evaluation used), else :func:`harness.eval.bins.train_bins` of the train file.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from harness.algorithms.group_layout import count_bin  # noqa: E402
from harness.data.category_stats import load_category_stats  # noqa: E402
from harness.eval.bins import train_bins  # noqa: E402
from harness.report.style import plot_style  # noqa: E402

DEFAULT_RUNS = (("lvis", "faster_r50", "baseline"), ("lvis", "faster_r50", "bags"))
POINT_COLUMNS = ["dataset", "model", "run", "category_id", "train_instances", "ap"]
CAPTION = ("per-category AP (bbox, %) against train instances (log scale), one point per category with val "
           "instances; solid segments: the mean AP of each bin (AP1..APk); dashed lines: the bin edges")
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")  # Okabe-Ito, by run order


@dataclass
class LongTailFigure:
    """What the report shows: the PNG (None when no panel could be drawn) and notes on what is left out."""

    png: bytes | None
    notes: list[str]
    caption: str = CAPTION


def long_tail_figure(runs, train_stats: dict[str, Path], wanted=None) -> LongTailFigure:
    """The figure of ``runs`` (objects with ``dataset``, ``model``, ``run``, ``seed`` and ``metrics``, the
    report's run folders) restricted to ``wanted`` ((dataset, model, run id) triples, default
    :data:`DEFAULT_RUNS`), with the train counts of ``train_stats`` (data set -> train file)."""
    wanted = [tuple(w) for w in (wanted or DEFAULT_RUNS)]
    chosen = [run for run in runs if (run.dataset, run.model, run.run) in wanted]
    notes = [f"{run.dataset}/{run.model}/{run.run}/{run.seed}: its metrics.json has no per-category AP "
             "(rerun `python -m harness evaluate`)" for run in chosen if not _category_ap(run.metrics)]
    chosen = [run for run in chosen if _category_ap(run.metrics)]
    panels, more = _panels(chosen, wanted, train_stats)
    notes += more
    if not panels:
        return LongTailFigure(None, notes + [f"no data set has two of the runs {_names(wanted)} with "
                                             "per-category AP and train statistics"])
    points = pd.concat([category_points(group, load_category_stats(train_stats[key[0]]).count_of())
                        for key, group in panels.items()], ignore_index=True)
    shown = set(zip(points.dataset, points.model))
    notes += [f"{'/'.join(key)}: no category has both val and train instances" for key in panels
              if key not in shown]
    if not shown:
        return LongTailFigure(None, notes)
    edges = {key: _bin_edges(group, train_stats[key[0]]) for key, group in panels.items() if key in shown}
    return LongTailFigure(draw_long_tail(points, edges, [w[2] for w in wanted]), notes)


def _panels(chosen, wanted, train_stats) -> tuple[dict, list[str]]:
    """(dataset, model) -> its chosen run folders, for pairs with at least two runs and train statistics;
    notes on pairs left out."""
    groups: dict[tuple[str, str], list] = {}
    for run in chosen:
        groups.setdefault((run.dataset, run.model), []).append(run)
    panels, notes = {}, []
    for key in dict.fromkeys((w[0], w[1]) for w in wanted):
        present = sorted({run.run for run in groups.get(key, [])})
        if len(present) < 2:
            continue
        if key[0] not in train_stats:
            notes.append(f"{key[0]}/{key[1]}: no train statistics given (--train-stats {key[0]}=PATH)")
            continue
        panels[key] = groups[key]
    return panels, notes


def _names(wanted) -> str:
    """``lvis/faster_r50/baseline, lvis/faster_r50/bags`` of (data set, model, run id) triples."""
    return ", ".join("/".join(w) for w in wanted)


def _category_ap(metrics: dict | None) -> dict | None:
    """``per_category.bbox`` of a metrics file (category id string -> AP), None when absent."""
    table = ((metrics or {}).get("per_category") or {}).get("bbox")
    return table if isinstance(table, dict) and table else None


def category_points(runs, train_counts: dict[int, int]) -> pd.DataFrame:
    """One row per run and category with val instances (AP other than -1): :data:`POINT_COLUMNS`, AP in
    percent and averaged over the run's seeds; categories with no train count (or 0: not on a log axis)
    are left out."""
    rows = []
    for run in runs:
        for category, ap in _category_ap(run.metrics).items():
            count = train_counts.get(int(category), 0)
            if ap is not None and ap != -1 and count > 0:
                rows.append([run.dataset, run.model, run.run, int(category), count, 100.0 * float(ap)])
    points = pd.DataFrame(rows, columns=POINT_COLUMNS)
    keys = POINT_COLUMNS[:-1]
    return points.groupby(keys, as_index=False, sort=True)["ap"].mean()


def _bin_edges(runs, train_path: Path) -> tuple[float, ...]:
    """The bins the evaluation used (the metrics file's ``thresholds``), else the train file's."""
    recorded = (runs[0].metrics or {}).get("thresholds")
    if isinstance(recorded, list) and recorded:
        return tuple(float(t) for t in recorded)
    return tuple(train_bins(str(train_path))[0])


def bin_means(points: pd.DataFrame, edges) -> pd.DataFrame:
    """Mean AP per run and bin of one panel's points: columns run, bin (1-based, the evaluation's
    :func:`~harness.algorithms.group_layout.count_bin`), ap, and lower / upper, the bin's edges clipped to
    the panel's count range (where its segment is drawn)."""
    low, high = points.train_instances.min(), points.train_instances.max()
    lowers, uppers = [0.0, *edges], [*edges, float("inf")]
    bins = points.train_instances.map(lambda count: count_bin(count, edges) + 1)
    means = points.assign(bin=bins).groupby(["run", "bin"], as_index=False)["ap"].mean()
    means["lower"] = [max(low, lowers[k - 1]) for k in means.bin]
    means["upper"] = [min(high, uppers[k - 1]) for k in means.bin]
    return means


def draw_long_tail(points: pd.DataFrame, edges: dict[tuple, tuple], run_order: list[str]) -> bytes:
    """The PNG of one panel per (dataset, model) of ``points``, side by side, styled with seaborn."""
    keys = list(edges)
    runs = [run for run in dict.fromkeys(run_order) if run in set(points.run)]
    colors = dict(zip(runs, PALETTE))
    with plot_style():
        fig, axes = plt.subplots(1, len(keys), figsize=(6.2 * len(keys), 4.4), squeeze=False, sharey=True)
        top = min(103.0, 1.1 * float(points.ap.max()) + 6.0)
        for i, (ax, key) in enumerate(zip(axes[0], keys)):
            panel = points[(points.dataset == key[0]) & (points.model == key[1])]
            _draw_panel(ax, panel, edges[key], runs, colors)
            ax.set_ylim(-2, top)
            _label_bins(ax, panel, edges[key])
            ax.set_title(f"{key[0]} / {key[1]}: {panel.category_id.nunique()} categories", pad=16)
            if i:
                ax.get_legend().remove()
        axes[0][0].set_ylabel("AP (%)")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        plt.close(fig)
    return buffer.getvalue()


def _draw_panel(ax, panel: pd.DataFrame, edges, runs: list[str], colors: dict) -> None:
    """Points, bin means and bin edges of one panel on ``ax``."""
    import seaborn as sns

    order = [run for run in runs if run in set(panel.run)]
    sns.scatterplot(data=panel, x="train_instances", y="ap", hue="run", hue_order=order, palette=colors,
                    style="run", style_order=order, alpha=0.6, s=28, linewidth=0, ax=ax)
    for row in bin_means(panel, edges).itertuples(index=False):
        ax.hlines(row.ap, row.lower, row.upper, colors=colors[row.run], linewidth=2.2)
    ax.set_xscale("log")
    for edge in edges:
        ax.axvline(edge, color="#555555", linestyle="--", linewidth=1)
    ax.set_xlabel("train instances (log scale)")
    ax.legend(title="run (segments: bin mean)", loc="upper left", fontsize="small", title_fontsize="small")


def _label_bins(ax, panel: pd.DataFrame, edges) -> None:
    """``bin k`` above the middle (log scale) of each bin's part of the panel."""
    low, high = panel.train_instances.min(), panel.train_instances.max()
    bounds = [0.0, *edges, float("inf")]
    for k in range(1, len(bounds)):
        left, right = max(low, bounds[k - 1]), min(high, bounds[k])
        if left < right:
            ax.text((left * right) ** 0.5, 1.01, f"bin {k}", transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize="small", color="#555555")
