"""Ours minus the paper's mAP of each reproduced row of a paper table, as a compact inline SVG chart.

Read from the CSV the ``tables`` stage writes beside each table fragment (``report/tables/<table>.csv``:
row_id, row_name, dataset, model, run, column, ours, ours_std, seeds, paper, diff, status; percent).
One horizontal bar per row whose status is ``reproduced`` and whose mAP has a paper value, in the
table's row order: from 0 to ``diff`` (green: at least the paper's, red: below, as in the tables), with
a whisker of ± the sample std over our seeds where there are several.
"""

import csv
import html
import math
from dataclasses import dataclass
from pathlib import Path

from harness.errors import InputError

TABLE_CSV_COLUMNS = ("row_id", "row_name", "dataset", "model", "run", "column", "ours", "ours_std", "seeds",
                     "paper", "diff", "status")
METRIC = "mAP"
GOOD, BAD = "#1a7f37", "#b42318"
LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW_HEIGHT, TOP, BOTTOM = 300, 320, 56, 17, 8, 22


@dataclass
class Delta:
    """One bar: the row's label, ours - paper and our seeds' std (percent points; std None with one seed)."""

    row_id: str
    label: str
    diff: float
    std: float | None


def read_deltas(path: Path, metric: str = METRIC) -> list[Delta]:
    """The bars of one table CSV, in row order; a missing file or column is an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "table CSV does not exist (python -m harness tables)")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in TABLE_CSV_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path, missing[0], f"missing column; a table CSV has {', '.join(TABLE_CSV_COLUMNS)}")
        rows = list(reader)
    deltas = []
    for row in rows:
        diff, std = _number(row["diff"]), _number(row["ours_std"])
        if row["column"] == metric and row["status"] == "reproduced" and diff is not None:
            name = row["row_name"] if row["row_name"] in (row["row_id"], "") else f"{row['row_id']} {row['row_name']}"
            deltas.append(Delta(row["row_id"], name, diff, std))
    return deltas


def _number(text: str) -> float | None:
    """A finite number, or None for an empty or non-numeric cell."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def delta_chart(deltas: list[Delta], title: str, metric: str = METRIC) -> str:
    """The inline SVG (class ``paper-delta``) of ``deltas``; a muted note when there are none."""
    if not deltas:
        return f'<p class="muted paper-delta-none">no reproduced row with the paper\'s {html.escape(metric)}</p>'
    reach = math.ceil(max(1.0, *(abs(d.diff) + (d.std or 0.0) for d in deltas)))  # the axis: -reach..+reach
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = TOP + ROW_HEIGHT * len(deltas) + BOTTOM
    zero = LABEL_WIDTH + BAR_WIDTH / 2

    def x(value: float) -> float:
        return zero + value / reach * (BAR_WIDTH / 2)

    rows = [_bar(delta, TOP + i * ROW_HEIGHT, x) for i, delta in enumerate(deltas)]
    base = TOP + ROW_HEIGHT * len(deltas)
    axis = (f'<line x1="{zero:.1f}" y1="{TOP - 2}" x2="{zero:.1f}" y2="{base}" stroke="#444"/>'
            + "".join(f'<text x="{x(v):.1f}" y="{base + 14}" font-size="10" text-anchor="middle">{v:+g}</text>'
                      for v in (-reach, 0, reach)))
    label = f"ours minus paper, {metric} (percent points)"
    return (f'<svg class="paper-delta" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{html.escape(title)}: {label}"><title>{html.escape(title)}: {label}</title>'
            f"{axis}{''.join(rows)}</svg>")


def _bar(delta: Delta, top: float, x) -> str:
    """One row of the chart: label, bar from 0 to the difference, std whisker, value."""
    middle = top + ROW_HEIGHT / 2
    left, right = sorted((x(0.0), x(delta.diff)))
    color = GOOD if delta.diff >= 0 else BAD
    shown = delta.label if len(delta.label) <= 46 else delta.label[:45] + "\u2026"
    whisker = ""
    if delta.std:
        whisker = (f'<line x1="{x(delta.diff - delta.std):.1f}" y1="{middle:.1f}" x2="{x(delta.diff + delta.std):.1f}" '
                   f'y2="{middle:.1f}" stroke="#333" stroke-width="1"/>')
    return (f'<g class="delta-row" data-row="{html.escape(delta.row_id)}" data-diff="{delta.diff:.2f}">'
            f"<title>{html.escape(delta.label)}: ours - paper = {delta.diff:+.2f}"
            + (f" (our std {delta.std:.2f})" if delta.std else "") + "</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{middle + 4:.1f}" font-size="11" text-anchor="end">{html.escape(shown)}</text>'
            f'<rect class="delta-bar" x="{left:.1f}" y="{top + 3:.1f}" width="{max(right - left, 1.0):.1f}" '
            f'height="{ROW_HEIGHT - 6}" fill="{color}"/>{whisker}'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{middle + 4:.1f}" font-size="11">{delta.diff:+.2f}</text></g>')
