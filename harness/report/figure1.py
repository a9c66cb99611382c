"""Figure 1 of the paper: classifier weight norms against training instances, balanced vs long-tail.

Each panel plots the L2 norm of every category's classifier row, categories sorted by their number
of training instances (bars, right axis); background (category 0) is drawn apart at the left.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from harness.report.style import counts_axis_without_grid, plot_style  # noqa: E402


def draw_norm_panel(ax, table: pd.DataFrame, title: str) -> None:
    """One panel: foreground rows sorted by train count, background as a separate marker."""
    foreground = table[table.category_id != 0].sort_values(["train_instances", "category_id"], kind="stable")
    background = table[table.category_id == 0]
    positions = range(1, len(foreground) + 1)
    counts_axis = ax.twinx()
    counts_axis.bar(positions, foreground.train_instances, color="#c9d6ea", width=1.0, zorder=0)
    counts_axis.set_yscale("log")
    counts_axis.set_ylim(0.8, max(10.0, 1.6 * float(foreground.train_instances.max())))
    counts_axis.set_ylabel("training instances (log)")
    counts_axis_without_grid(counts_axis)
    ax.set_zorder(counts_axis.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(positions, foreground.norm, ".-", color="#1f4e9c", lw=1, ms=4, label="category")
    ax.plot([0], background.norm, "s", color="#c0392b", ms=6, label="background")
    ax.set_xlim(-1, len(foreground) + 1)
    ax.set_xlabel("categories sorted by training instances (background at 0)")
    ax.set_ylabel("classifier weight norm")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)


def figure1(tables: list[pd.DataFrame], titles: list[str], rhos: list[float]):
    """The whole figure: one panel per model (balanced first, long-tail second)."""
    with plot_style():
        fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 3.8), constrained_layout=True)
        for ax, table, title, rho in zip(list(axes) if len(tables) > 1 else [axes], tables, titles, rhos):
            draw_norm_panel(ax, table, f"{title}\nSpearman rho(norm, instances) = {rho:.2f}")
    return fig
