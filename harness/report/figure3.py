"""Figure 3 of the paper: classifier weight norms of baseline, RFS, re-weight-cls and BAGS.

One panel per model, in the order given. Each panel plots the L2 norm of every category's classifier
row with categories sorted by their number of training instances (line, left axis) over the instance
counts themselves (bars, log right axis); background (category 0) is a separate marker at x = 0.
Dashed vertical lines split the categories into Bin_1..Bin_N at the given count thresholds (a category
with exactly t instances falls right of the line at t, as in the group layout), and each title holds
Spearman's rho between norm and training instances over the foreground categories (recomputed from
the table, the same definition as the ``weight_norms`` stage's summary).

For BAGS, the ``weight_norms`` stage has already mapped classifier rows to categories (the "others"
and G0-foreground rows are dropped), so every table has one row per category plus the background.
"""

import math
from bisect import bisect_left
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from harness.errors import InputError  # noqa: E402
from harness.report.figure2 import save_png_svg  # noqa: E402
from harness.report.style import counts_axis_without_grid, plot_style  # noqa: E402

NORM_COLUMNS = ("category_id", "train_instances", "norm")
# Okabe-Ito colours (colour-blind safe), one per panel in order.
PANEL_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
BACKGROUND_COLOR = "#000000"
COUNT_BAR_COLOR = "#d9d9d9"


def read_norms(path: str | Path) -> pd.DataFrame:
    """A ``weight_norms/norms.csv`` table; a missing file or column is an :class:`InputError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "weight-norm table does not exist (run the weight_norms stage first)")
    table = pd.read_csv(path)
    missing = [column for column in NORM_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(path, None, f"weight-norm table lacks column(s) {', '.join(missing)}")
    return table


def sorted_foreground(table: pd.DataFrame) -> pd.DataFrame:
    """Foreground rows sorted by training instances (ties by category id), as plotted left to right."""
    foreground = table[table.category_id != 0]
    return foreground.sort_values(["train_instances", "category_id"], kind="stable", ignore_index=True)


def spearman_rho(table: pd.DataFrame) -> float:
    """Spearman's rho between norm and training instances over the foreground categories."""
    foreground = table[table.category_id != 0]
    return float(foreground[["norm", "train_instances"]].corr(method="spearman").iloc[0, 1])


def bin_edges(sorted_counts: list[float], thresholds: list[float]) -> list[float]:
    """x positions (categories at 1..C) of the boundaries between bins: one per threshold, between the
    last category below it and the first at or above it; the plot's ends 0.5 and C + 0.5 come first/last."""
    inner = [bisect_left(sorted_counts, threshold) + 0.5 for threshold in thresholds]
    return [0.5, *inner, len(sorted_counts) + 0.5]


def draw_bins(ax, edges: list[float]) -> None:
    """Dashed boundary lines and 'Bin k' labels at the top of every non-empty bin."""
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for x in edges[1:-1]:
        ax.axvline(x, color="#555555", linestyle="--", linewidth=1.0, zorder=1)
    for k, (left, right) in enumerate(zip(edges, edges[1:]), start=1):
        if right > left:
            ax.text((left + right) / 2, 0.97, f"Bin{k}", transform=top, ha="center", va="top", fontsize=9)


def draw_counts(ax, foreground: pd.DataFrame):
    """Training-instance bars on a log right axis behind the norm line; returns that axis."""
    counts_axis = ax.twinx()
    counts_axis.bar(range(1, len(foreground) + 1), foreground.train_instances, color=COUNT_BAR_COLOR, width=1.0)
    counts_axis.set_yscale("log")
    counts_axis.set_ylim(0.8, max(10.0, 3.0 * float(foreground.train_instances.max())))
    counts_axis.set_ylabel("training instances (log)", fontsize=10)
    counts_axis.tick_params(labelsize=9)
    counts_axis_without_grid(counts_axis)
    ax.set_zorder(counts_axis.get_zorder() + 1)
    ax.patch.set_visible(False)
    return counts_axis


def draw_panel(ax, table: pd.DataFrame, title: str, thresholds: list[float], color: str) -> None:
    """One model: norm line over log-scale count bars, background marker apart at the left, bins, title."""
    foreground = sorted_foreground(table)
    draw_counts(ax, foreground)
    marker = "." if len(foreground) > 100 else "o"
    ax.plot(range(1, len(foreground) + 1), foreground.norm, marker=marker, linestyle="-", color=color, lw=1.2,
            ms=3.5, zorder=3)
    gap = max(1.0, 0.025 * len(foreground))  # keeps the background visibly apart when C is large
    background = table[table.category_id == 0]
    if len(background):
        ax.plot([1 - gap], background.norm.iloc[:1], "s", color=BACKGROUND_COLOR, ms=7, zorder=3)
    draw_bins(ax, bin_edges(foreground.train_instances.tolist(), thresholds))
    ax.set_xlim(1 - 2 * gap, len(foreground) + 1)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.12 * (high - low))  # headroom for the bin labels
    ax.set_xlabel("categories sorted by training instances", fontsize=10)
    ax.set_ylabel("classifier weight norm", fontsize=10)
    ax.set_title(title, fontsize=11)
    ax.tick_params(labelsize=9)


def legend_handles() -> list:
    """One legend for all panels (colours differ per panel, the encodings do not)."""
    return [Line2D([], [], color="#333333", marker="o", ms=4, lw=1.2, label="category norm (left axis)"),
            Line2D([], [], color=BACKGROUND_COLOR, marker="s", ms=7, lw=0, label="background norm"),
            Patch(color=COUNT_BAR_COLOR, label="training instances (right axis, log)"),
            Line2D([], [], color="#555555", linestyle="--", lw=1.0, label="bin boundaries")]


def figure3(tables: dict[str, pd.DataFrame], thresholds: list[float]):
    """The whole figure: one panel per model, two panels per row, one shared legend below."""
    columns = 1 if len(tables) == 1 else 2
    rows = math.ceil(len(tables) / columns)
    with plot_style():
        fig, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 3.9 * rows + 0.4), layout="constrained",
                                 squeeze=False)
        flat = list(axes.flat)
        for k, (ax, (label, table)) in enumerate(zip(flat, tables.items())):
            title = f"{label}: Spearman ρ(norm, instances) = {spearman_rho(table):.2f}"
            draw_panel(ax, table, title, thresholds, PANEL_COLORS[k % len(PANEL_COLORS)])
        for ax in flat[len(tables):]:
            ax.set_visible(False)
        fig.legend(handles=legend_handles(), loc="outside lower center", ncols=4 if columns > 1 else 2, fontsize=9,
                   frameon=False)
    return fig


def draw_figure3(norms: dict[str, Path], thresholds: list[float], png: Path, svg: Path) -> None:
    """Read every label's norms CSV, render Figure 3 and write it as PNG and SVG (atomically).

    Raises:
        InputError: a norms file is missing or lacks a column; no panels at all.
    """
    if not norms:
        raise InputError("--norms", None, "no weight-norm tables given")
    tables = {label: read_norms(path) for label, path in norms.items()}
    fig = figure3(tables, sorted(thresholds))
    try:
        save_png_svg(fig, png, svg)
    finally:
        plt.close(fig)
