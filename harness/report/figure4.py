"""Figure 4 of the paper: influence of the "others" sampling ratio beta on mAP and AP1..AP4.

The beta sweep is a set of BAGS runs of one data set and model (LVIS, Faster R50) given as run id ->
beta (``configs/paper/figures.yaml`` names the runs, the run table gives each one's beta); the main BAGS
run is beta = 8. Values are averaged
over seeds and shown in percent, with the sample standard deviation (ddof = 1) as error bars where a
beta has several seeds. x is categorical, in the paper's order 0, 1, 2, 4, 8, 16, n, all
("n": all "others" in the activated groups; "all": all "others" in every group). A beta without runs
is left off the axis and named in the figure's note.
"""

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from harness.report.figure2 import save_png_svg  # noqa: E402
from harness.report.style import plot_style  # noqa: E402

BETA_ORDER = ("0", "1", "2", "4", "8", "16", "n", "all")  # the paper's axis; other numbers go in numeric order
SWEEP_METRICS = ("AP", "AP1", "AP2", "AP3", "AP4")
SWEEP_DATASET, SWEEP_MODEL, BASELINE_VARIANT = "lvis", "faster_r50", "baseline"
SWEEP_COLUMNS = ["beta", "metric", "mean", "std", "n"]
# metric -> (legend label, colour, marker); Okabe-Ito colours, mAP in black and thicker.
METRIC_STYLE = {"AP": ("mAP", "#000000", "o"), "AP1": ("AP1", "#D55E00", "s"), "AP2": ("AP2", "#E69F00", "^"),
                "AP3": ("AP3", "#009E73", "D"), "AP4": ("AP4", "#0072B2", "v")}


def beta_key(beta: str) -> tuple[float, int]:
    """Sort key of a beta on the x axis: numbers ascending, then "n", then "all"."""
    named = {"n": (float("inf"), 0), "all": (float("inf"), 1)}
    return named[beta] if beta in named else (float(beta), 0)


def _runs(tidy: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Rows of the sweep's data set and model for the given run ids and the sweep's metrics."""
    mask = ((tidy.dataset == SWEEP_DATASET) & (tidy.model == SWEEP_MODEL) & tidy.variant.isin(variants)
            & tidy.metric.isin(SWEEP_METRICS) & tidy.value.notna())
    return tidy[mask]


def beta_sweep(tidy: pd.DataFrame, beta_of: dict[str, str]) -> pd.DataFrame:
    """Mean, std (ddof = 1; NaN for one seed) and seed count of every (beta, metric), in percent, over the
    runs of ``beta_of`` (run id -> beta).

    Rows follow :func:`beta_key`, then :data:`SWEEP_METRICS`; betas without runs have no rows.
    """
    rows = _runs(tidy, list(beta_of)).assign(beta=lambda t: t.variant.map(beta_of), value=lambda t: 100 * t.value)
    stats = rows.groupby(["beta", "metric"]).value.agg(["mean", "std", "count"]).reset_index()
    stats = stats.rename(columns={"count": "n"})
    stats["order"] = [(beta_key(b), SWEEP_METRICS.index(m)) for b, m in zip(stats.beta, stats.metric)]
    return stats.sort_values("order", ignore_index=True)[SWEEP_COLUMNS]


def baseline_map(tidy: pd.DataFrame) -> float | None:
    """The baseline run's mAP in percent, averaged over seeds; None without a baseline run."""
    values = _runs(tidy, [BASELINE_VARIANT])
    values = values[values.metric == "AP"].value
    return None if values.empty else 100 * float(values.mean())


def figure_note(sweep: pd.DataFrame, betas) -> str:
    """Seeds and error bars, and which of ``betas`` (the sweep's) have no runs."""
    seeds = sorted(set(sweep.n))
    seed_text = f"mean over {'/'.join(map(str, seeds))} seed{'s' if seeds != [1] else ''}" if seeds else "no runs"
    if any(n > 1 for n in seeds):
        seed_text += ", error bars ± 1 std"
    missing = sorted(set(betas) - set(sweep.beta), key=beta_key)
    missing_text = f"missing runs (skipped): β = {', '.join(missing)}" if missing else "all β runs present"
    return (f"{seed_text}; {missing_text}. n: all others in the activated groups; "
            "all: all others in every group")


def draw_metric(ax, sweep: pd.DataFrame, metric: str, position: dict[str, int]) -> None:
    """One metric's line (with error bars where there are several seeds)."""
    rows = sweep[sweep.metric == metric]
    if rows.empty:
        return
    label, color, marker = METRIC_STYLE[metric]
    x = [position[beta] for beta in rows.beta]
    errors = rows["std"].where(rows.n > 1).fillna(0.0)
    ax.errorbar(x, rows["mean"], yerr=errors if (rows.n > 1).any() else None, label=label, color=color,
                marker=marker, ms=6, lw=2.2 if metric == "AP" else 1.4, capsize=3)


def figure4(sweep: pd.DataFrame, baseline_ap: float | None, betas=BETA_ORDER):
    """mAP and AP1..AP4 (percent) against beta; ``baseline_ap`` (percent) as a dashed reference line;
    ``betas``: the sweep's betas (those without runs are named in the note)."""
    present = sorted(set(sweep.beta), key=beta_key)
    position = {beta: k for k, beta in enumerate(present)}
    with plot_style():
        fig, ax = plt.subplots(figsize=(8.0, 4.6), constrained_layout=True)
        for metric in SWEEP_METRICS:
            draw_metric(ax, sweep, metric, position)
        if baseline_ap is not None:
            ax.axhline(baseline_ap, color="#555555", linestyle="--", lw=1.3, label=f"baseline mAP ({baseline_ap:.1f})")
        ax.set_xticks(range(len(present)), present, fontsize=10)
        ax.set_xlim(-0.4, max(len(present) - 0.6, 0.4))
        ax.tick_params(axis="y", labelsize=10)
        ax.set_xlabel('β (sampled "others" : positives in a group)', fontsize=10)
        ax.set_ylabel("AP (%)", fontsize=10)
        ax.set_title("Influence of the sampling ratio β (BAGS, Faster R50, LVIS)", fontsize=11)
        ax.grid(axis="x", visible=False)  # whitegrid draws both; beta is categorical
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda k: labels[k].startswith("baseline"))  # baseline last
        ax.legend([handles[k] for k in order], [labels[k] for k in order], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=9, frameon=False)
        fig.supxlabel("\n".join(textwrap.wrap(figure_note(sweep, betas), 100)), fontsize=9, color="#333333")
    return fig


def draw_figure4(sweep: pd.DataFrame, baseline_ap: float | None, png: Path, svg: Path, betas=BETA_ORDER) -> None:
    """Render Figure 4 from :func:`beta_sweep`'s table and write it as PNG and SVG (atomically)."""
    fig = figure4(sweep, baseline_ap, betas)
    try:
        save_png_svg(fig, png, svg)
    finally:
        plt.close(fig)
