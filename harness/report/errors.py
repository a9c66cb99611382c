"""The report's error analysis by bin: where each run loses AP in each train-count bin, by error type.

A run's ``evaluate/metrics.json`` holds ``errors_by_bin`` (:mod:`harness.eval.errors`,
docs/evaluation.md#error-analysis-by-bin): per bin AP1..APk and over all categories, TIDE's dAP of each
error type, the AP at IoU 0.5 that fixing every error of that type would add. The figure draws, per data
set and model, one group of bars per bin and one bar per run, stacked by error type; a sentence under it
reads the numbers of the first non-empty bin (the rarest categories). Runs are chosen as the long-tail
figure chooses them (:mod:`harness.report.long_tail`: (data set, model, run id) triples, default the
baseline and BAGS of Faster R50 on LVIS), of one seed (default 0). A chosen run whose metrics file has no
``errors_by_bin`` (evaluated before it existed) is named in a note, never drawn.
"""

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from harness.eval.errors import ERROR_TYPES  # noqa: E402
from harness.report.long_tail import DEFAULT_RUNS, _names  # noqa: E402
from harness.report.style import plot_style  # noqa: E402

FIGURE_ID = "error-analysis"
TYPE_NAMES = {"Cls": "classification", "Loc": "localisation", "Both": "classification and localisation",
              "Dupe": "duplicate", "Bkg": "background", "Miss": "missed objects"}
TYPE_COLORS = dict(zip(ERROR_TYPES, ("#D55E00", "#0072B2", "#CC79A7", "#E69F00", "#999999", "#009E73")))
RUN_HATCHES = ("", "//", "..", "xx", "\\\\", "oo")
COLUMNS = ["dataset", "model", "run", "bin", "type", "dap"]
CAPTION = ("Error analysis by bin (bbox, IoU 0.5, TIDE): for each train-count bin (AP1..APk: rarest first) and "
           "all categories, the AP points that fixing every error of one type would add, stacked by type; "
           "one bar per run")


def error_analysis_part(runs, wanted=None, seed: int = 0, iou_type: str = "bbox") -> str:
    """The HTML fragment (a ``<figure>`` with the PNG inline, a reading, notes), or a "not available" note.

    Args:
        runs: the report's run folders (``dataset``, ``model``, ``run`` (run id), ``seed``, ``metrics``):
            ``render_report``'s ``read_runs(inputs.metrics)``.
        wanted: (data set, model, run id) triples to compare; None: the long-tail figure's default.
        seed: the seed whose runs are drawn.
        iou_type: "bbox" or "segm", the key under ``errors_by_bin``.
    """
    wanted = [tuple(w) for w in (wanted or DEFAULT_RUNS)]
    chosen = [run for run in runs if (run.dataset, run.model, run.run) in wanted and run.seed == seed]
    notes = [f"{run.dataset}/{run.model}/{run.run}/{run.seed}: its metrics.json has no errors_by_bin.{iou_type} "
             "(rerun `python -m harness evaluate`)" for run in chosen if _bins(run.metrics, iou_type) is None]
    table = error_table([run for run in chosen if _bins(run.metrics, iou_type) is not None], iou_type)
    if table.empty:
        return _note(f"error analysis by bin not drawn: no run of {_names(wanted)} with seed {seed} has "
                     f"errors_by_bin.{iou_type}" + "".join(f"; {note}" for note in notes))
    order = [w[2] for w in wanted]
    png = draw_errors(table, order)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    reading = " ".join(reading_sentence(table, key, order) for key in _panel_keys(table))
    return (f'<figure id="{FIGURE_ID}"><img src="{uri}" alt="{_e(CAPTION)}"><figcaption>{_e(CAPTION)}'
            f'</figcaption></figure><p class="error-reading">{_e(reading)}</p>'
            + "".join(f'<p class="muted error-note">left out: {_e(note)}</p>' for note in notes))


def _bins(metrics: dict | None, iou_type: str) -> dict | None:
    """``errors_by_bin.<iou_type>.bins`` of a metrics file, None when absent or malformed."""
    entry = ((metrics or {}).get("errors_by_bin") or {}).get(iou_type)
    bins = entry.get("bins") if isinstance(entry, dict) else None
    return bins if isinstance(bins, dict) and bins else None


def error_table(runs, iou_type: str = "bbox") -> pd.DataFrame:
    """:data:`COLUMNS`, one row per run, bin and error type: dap in AP points (percent). Bins are named
    AP1..APk (numeric order) and "all"; an empty bin (no category with val GT) is left out."""
    rows = []
    for run in runs:
        bins = _bins(run.metrics, iou_type)
        keys = sorted((k for k in bins if k.isdigit()), key=int) + (["all"] if "all" in bins else [])
        for key in keys:
            if bins[key].get("num_cats", 0) > 0:
                label = f"AP{key}" if key.isdigit() else "all"
                rows += [[run.dataset, run.model, run.run, label, name, 100.0 * float(bins[key][name])]
                         for name in ERROR_TYPES if name in bins[key]]
    return pd.DataFrame(rows, columns=COLUMNS)


def _panel_keys(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(data set, model) of each panel, in the table's order."""
    return list(dict.fromkeys(zip(table.dataset, table.model)))


def reading_sentence(table: pd.DataFrame, key: tuple[str, str], run_order: list[str]) -> str:
    """One sentence on a panel's first bin: what classification errors cost each run there, and which
    error type costs the most."""
    panel = table[(table.dataset == key[0]) & (table.model == key[1])]
    first = panel.bin.iloc[0]
    at = panel[panel.bin == first].pivot_table(index="run", columns="type", values="dap")
    runs = [run for run in dict.fromkeys(run_order) if run in at.index]
    costs = " and ".join(f"{run} {at.loc[run, 'Cls']:.1f}" for run in runs)
    largest = at.loc[runs].mean().idxmax()
    each = ", ".join(f"{run} {at.loc[run, largest]:.1f}" for run in runs)
    rest = ("no other error type costs more there" if largest == "Cls"
            else f"the largest loss there is {TYPE_NAMES[largest]} ({each})")
    return (f"{key[0]}/{key[1]}, in bin {first}: classification errors cost {costs} AP points (IoU 0.5); "
            f"{rest}.")


def draw_errors(table: pd.DataFrame, run_order: list[str]) -> bytes:
    """The PNG: one panel per (data set, model), bins on x, a bar per run stacked by error type."""
    keys, runs = _panel_keys(table), runs_of(table, run_order)
    hatches = {run: RUN_HATCHES[r % len(RUN_HATCHES)] for r, run in enumerate(runs)}
    with plot_style():
        fig, axes = plt.subplots(1, len(keys), figsize=(5.6 * len(keys) + 2.4, 4.4), squeeze=False, sharey=True)
        for ax, key in zip(axes[0], keys):
            panel = table[(table.dataset == key[0]) & (table.model == key[1])]
            _draw_panel(ax, panel, runs_of(panel, runs), hatches)
            ax.set_title(f"{key[0]} / {key[1]}")
        axes[0][0].set_ylabel("AP points gained by fixing (IoU 0.5)")
        _legend(axes[0][-1], hatches)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        plt.close(fig)
    return buffer.getvalue()


def runs_of(table: pd.DataFrame, run_order: list[str]) -> list[str]:
    """The run ids of ``table`` in ``run_order``."""
    return [run for run in dict.fromkeys(run_order) if run in set(table.run)]


def _draw_panel(ax, panel: pd.DataFrame, runs: list[str], hatches: dict[str, str]) -> None:
    """Stacked bars of one panel: groups = bins, bars = ``runs`` (run id -> ``hatches``), stacks = error
    types."""
    bins = list(dict.fromkeys(panel.bin))
    width = 0.8 / max(len(runs), 1)
    for r, run in enumerate(runs):
        values = panel[panel.run == run].pivot_table(index="bin", columns="type", values="dap")
        positions = [b + (r - (len(runs) - 1) / 2) * width for b in range(len(bins))]
        bottom = [0.0] * len(bins)
        for name in ERROR_TYPES:
            heights = [float(values.loc[b, name]) if b in values.index and name in values else 0.0 for b in bins]
            ax.bar(positions, heights, width * 0.95, bottom=bottom, color=TYPE_COLORS[name],
                   hatch=hatches[run], edgecolor="white", linewidth=0.5)
            bottom = [low + high for low, high in zip(bottom, heights)]
    ax.set_xticks(range(len(bins)), bins)
    ax.set_xlabel("train-count bin (rarest first)")


def _legend(ax, hatches: dict[str, str]) -> None:
    """Error types by colour, runs (run id -> hatch) by hatch, right of ``ax``."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=TYPE_COLORS[name], label=f"{name}: {TYPE_NAMES[name]}") for name in ERROR_TYPES]
    handles += [Patch(facecolor="#dddddd", hatch=hatch, edgecolor="#555555", label=f"run {run}")
                for run, hatch in hatches.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="x-small")


def _e(value: object) -> str:
    """``value`` as text, escaped for HTML (quotes included)."""
    return html.escape(str(value))


def _note(text: str) -> str:
    """A visible "not available" note, as the report writes them."""
    return f'<p class="not-available">not available: {_e(text)}</p>'
