"""The paper's Tables 1-4 with the reproduced numbers beside the paper's, as CSV, HTML and LaTeX.

``configs/paper/tables.yaml`` says which run fills which paper row and which metric fills which
column; ``configs/paper/table*.csv`` hold the paper's numbers (percent, empty = not reported); the
tidy metrics CSV of :mod:`harness.report.aggregate` holds ours (fractions). Each cell shows ours in
percent (mean over seeds, 2 decimals; with several seeds also the sample std and n), the paper's value
and the difference ours - paper, computed from the rounded mean so that the shown numbers add up.

A row whose run has none of the table's metrics says which run is missing ("not run: lvis/faster_r50/x2");
a row without a run (other papers' numbers) shows the paper's values as "other work, not reproduced".
The HTML fragment and the LaTeX table are pandas Stylers of one DataFrame of the shown cells
(:func:`to_html`, :func:`to_latex`).
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from pandas.io.formats.style import Styler

from harness.errors import InputError
from harness.io import atomic_path, read_yaml

CELL_COLUMNS = ["row_id", "row_name", "dataset", "model", "run", "column",
                "ours", "ours_std", "seeds", "paper", "diff", "status"]
# row and cell statuses
REPRODUCED, NOT_RUN, NO_METRIC, OTHER_WORK = "reproduced", "not run", "no metric", "other work, not reproduced"
TABLE_KEYS = {"title", "csv", "key", "label", "dataset", "model", "rows", "extra_rows"}
REQUIRED_TABLE_KEYS = ("title", "csv", "key", "label", "dataset", "rows")


@dataclass
class TableRow:
    """One row of a table: the paper's row (or an extra run) and the run that reproduces it."""

    row_id: str
    row_name: str
    dataset: str | None = None
    model: str | None = None
    run: str | None = None
    status: str = OTHER_WORK
    in_paper: bool = True

    @property
    def run_path(self) -> str:
        """``dataset/model/run id``, as in the runs folder ("" for other work)."""
        return f"{self.dataset}/{self.model}/{self.run}" if self.run else ""

    @property
    def note(self) -> str:
        """What the row says beside its name when it has no reproduced numbers."""
        return {NOT_RUN: f"not run: {self.run_path}", OTHER_WORK: OTHER_WORK}.get(self.status, "")


@dataclass
class TableResult:
    """A built table: its rows in the paper's order (extra rows last) and one cell per row and column."""

    name: str
    title: str
    columns: list[str]
    rows: list[TableRow]
    cells: pd.DataFrame  # CELL_COLUMNS, rows x columns in table order
    missing_runs: list[str] = field(default_factory=list)  # dataset/model/run of the "not run" rows
    missing_metrics: list[str] = field(default_factory=list)  # "dataset/model/run: metric" of empty cells
    name_header: str = "row"  # heading of the row-name column: the paper CSV's label column(s)

    def count(self, status: str) -> int:
        """Number of rows with ``status`` (REPRODUCED, NOT_RUN, OTHER_WORK)."""
        return sum(row.status == status for row in self.rows)


def load_spec(path: str | Path) -> dict:
    """Read ``tables.yaml`` and check its shape; problems are an :class:`InputError` naming the field."""
    spec = read_yaml(path, "tables spec")
    check_spec(spec, str(path))
    return spec


def check_spec(spec, source: str) -> None:
    """Raise :class:`InputError` unless ``spec`` has metric_of_column and well-formed tables."""
    if not isinstance(spec, dict):
        raise InputError(source, None, "expected a mapping with metric_of_column and tables")
    for key in ("metric_of_column", "tables"):
        if not isinstance(spec.get(key), dict) or not spec[key]:
            raise InputError(source, key, "missing or not a non-empty mapping")
    for name, table in spec["tables"].items():
        _check_table(table, source, f"tables.{name}")


def _check_table(table, source: str, where: str) -> None:
    if not isinstance(table, dict):
        raise InputError(source, where, "expected a mapping")
    unknown = sorted(set(table) - TABLE_KEYS)
    if unknown:
        raise InputError(source, f"{where}.{unknown[0]}", f"unknown key; known: {sorted(TABLE_KEYS)}")
    for key in REQUIRED_TABLE_KEYS:
        if key not in table:
            raise InputError(source, f"{where}.{key}", "missing")
    if not isinstance(table["rows"], dict) or not isinstance(table.get("extra_rows") or {}, dict):
        raise InputError(source, f"{where}.rows", "rows and extra_rows map a row id to its run")
    for row_id, run in table["rows"].items():
        _run_of(table, run, source, f"{where}.rows.{row_id}")
    if table.get("extra_rows") and "model" not in table:
        raise InputError(source, f"{where}.extra_rows", "extra rows name run ids only: the table needs a model")


DIFFERENCE = " - "  # a row's run "bags - baseline": the per-seed difference of two runs of one model


def _run_of(table: dict, run, source: str, where: str) -> tuple[str, str]:
    """(model, run id) of a row: a run id with the table's model, [model, run id], or
    [model, run id, other run id] for the difference of two runs (run id "run - other")."""
    if isinstance(run, str) and isinstance(table.get("model"), str):
        return table["model"], run
    if isinstance(run, list) and len(run) in (2, 3) and all(isinstance(part, str) for part in run):
        return run[0], DIFFERENCE.join(run[1:])
    raise InputError(source, where, "expected a run id (with the table's model), [model, run id] or "
                                    "[model, run id, run id to subtract]")


def _with_differences(values: dict[tuple, list[float]], rows: list[TableRow], metrics: list[str]) -> dict:
    """``values`` plus, for every difference row, the per-seed differences of its two runs (seeds paired
    in order; only as many as both runs have)."""
    values = dict(values)
    for row in rows:
        if not row.run or DIFFERENCE not in row.run:
            continue
        run, other = row.run.split(DIFFERENCE)
        for metric in metrics:
            a, b = values.get((row.dataset, row.model, run, metric)), values.get((row.dataset, row.model, other, metric))
            if a and b:
                values[(row.dataset, row.model, row.run, metric)] = [x - y for x, y in zip(a, b)]
    return values


def build_table(name: str, spec: dict, paper_dir: Path, tidy: pd.DataFrame,
                unlisted: tuple[str, ...] = ()) -> TableResult:
    """Table ``name`` of ``spec`` (the whole tables.yaml) with ours from ``tidy`` beside the paper's;
    ``unlisted``: run ids of the table's data set and model that nothing names (:func:`unlisted_runs`),
    shown as extra rows after the spec's own."""
    if name not in spec.get("tables", {}):
        raise InputError("tables spec", f"tables.{name}", f"no such table; known: {sorted(spec.get('tables', {}))}")
    table = spec["tables"][name]
    _check_table(table, "tables spec", f"tables.{name}")
    csv_path = Path(paper_dir) / table["csv"]
    paper = read_paper_csv(csv_path, table)
    columns = [column for column in paper.columns if column in spec["metric_of_column"]]
    metrics = [spec["metric_of_column"][column] for column in columns]
    rows = _paper_rows(paper, table, csv_path) + _extra_rows(table) + [
        TableRow(run_id, f"{run_id} (not in the paper)", table["dataset"], table["model"], run_id, in_paper=False)
        for run_id in unlisted]
    values = _with_differences(_percent_values(tidy), rows, metrics)
    cells = []
    for row in rows:
        row.status = _row_status(row, metrics, values)
        paper_values = paper.loc[row.row_id] if row.in_paper else None
        for column, metric in zip(columns, metrics):
            paper_value = _paper_value(paper_values, column, csv_path, row.row_id)
            cells.append(_cell(row, column, values.get((row.dataset, row.model, row.run, metric), []), paper_value))
    missing_runs = [row.run_path for row in rows if row.status == NOT_RUN]
    missing_metrics = [f"{row.run_path}: {metric}" for row in rows for metric in metrics
                       if row.status == REPRODUCED and (row.dataset, row.model, row.run, metric) not in values]
    return TableResult(name, table["title"], columns, rows, pd.DataFrame(cells, columns=CELL_COLUMNS),
                       missing_runs, missing_metrics, " ".join(_label_columns(table)))


def read_paper_csv(path: Path, table: dict) -> pd.DataFrame:
    """The paper's CSV as strings, indexed by the table's key column (unique, kept in file order)."""
    if not path.is_file():
        raise InputError(path, None, "paper table CSV does not exist")
    paper = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in [table["key"], *_label_columns(table)]:
        if column not in paper.columns:
            raise InputError(path, column, "no such column (named by tables.yaml)")
    duplicated = paper[table["key"]][paper[table["key"]].duplicated()].tolist()
    if duplicated:
        raise InputError(path, table["key"], f"row ids must be unique; repeated: {duplicated}")
    return paper.set_index(table["key"], drop=False)


def _label_columns(table: dict) -> list[str]:
    return [table["label"]] if isinstance(table["label"], str) else list(table["label"])


def _paper_rows(paper: pd.DataFrame, table: dict, csv_path: Path) -> list[TableRow]:
    """The paper's rows in its order; those that tables.yaml maps get their run."""
    runs = {str(row_id): run for row_id, run in table["rows"].items()}
    unknown = sorted(set(runs) - set(paper.index))
    if unknown:
        raise InputError(csv_path, table["key"], f"tables.yaml names rows {unknown} that this CSV lacks")
    rows = []
    for row_id, record in paper.iterrows():
        labels = [record[column].strip() for column in _label_columns(table) if record[column].strip()]
        run = runs.get(row_id)
        model, run_id = _run_of(table, run, "tables spec", f"rows.{row_id}") if run is not None else (None, None)
        name = " ".join(labels) or run_id or row_id  # an unlabelled row (Table 4's baseline) shows its run
        rows.append(TableRow(row_id, name, table["dataset"] if run_id else None, model, run_id))
    return rows


def _extra_rows(table: dict) -> list[TableRow]:
    """Runs without a paper row (tables.yaml ``extra_rows``: run id -> name), below the paper's rows."""
    return [TableRow(run_id, name, table["dataset"], table["model"], run_id, in_paper=False)
            for run_id, name in (table.get("extra_rows") or {}).items()]


def unlisted_runs(spec: dict, tidy: pd.DataFrame, named_elsewhere: set[str] = frozenset()) -> dict[str, list[str]]:
    """Table name -> the run ids of ``tidy`` that no table row, extra row or ``named_elsewhere`` (the
    figures' run ids) names, each given to the first table (spec order) of its data set and model: a run
    added to a profile appears in its table without an edit to tables.yaml."""
    named, home = set(named_elsewhere), {}
    for name, table in spec.get("tables", {}).items():
        for where, run in (table.get("rows") or {}).items():
            model, run_id = _run_of(table, run, "tables spec", f"tables.{name}.rows.{where}")
            named.update({(table["dataset"], model, part) for part in run_id.split(DIFFERENCE)})
        named.update((table["dataset"], table.get("model"), run_id) for run_id in table.get("extra_rows") or {})
        if "model" in table:
            home.setdefault((table["dataset"], table["model"]), name)
    found: dict[str, list[str]] = {}
    for dataset, model, run_id in tidy[["dataset", "model", "variant"]].drop_duplicates().itertuples(index=False):
        if (dataset, model) in home and (dataset, model, run_id) not in named and run_id not in named_elsewhere:
            found.setdefault(home[(dataset, model)], []).append(run_id)
    return {name: sorted(runs) for name, runs in found.items()}


def figure_run_ids(figures: dict) -> set[str]:
    """Every run id a figures spec (configs/paper/figures.yaml) names (:func:`harness.runs.figure_runs`)."""
    from harness.runs import figure_runs

    return {run_id for spec in (figures.get("figures") or {}).values() for _, _, run_id in figure_runs(spec)}


def _percent_values(tidy: pd.DataFrame) -> dict[tuple, list[float]]:
    """(dataset, model, run id, metric) -> the seeds' values in percent, in seed order."""
    ordered = tidy.sort_values("seed", kind="stable")
    return {key: (group["value"] * 100.0).tolist()
            for key, group in ordered.groupby(["dataset", "model", "variant", "metric"], sort=False)}


def _row_status(row: TableRow, metrics: list[str], values: dict) -> str:
    """Other work without a run; not run when the run has none of the table's metrics."""
    if row.run is None:
        return OTHER_WORK
    has_any = any((row.dataset, row.model, row.run, metric) in values for metric in metrics)
    return REPRODUCED if has_any else NOT_RUN


def _paper_value(paper_values: pd.Series | None, column: str, csv_path: Path, row_id: str) -> float:
    """The paper's number in percent; NaN where it is not reported (or the row is not the paper's)."""
    if paper_values is None or not paper_values[column].strip():
        return math.nan
    try:
        return float(paper_values[column])
    except ValueError:
        raise InputError(csv_path, f"{row_id}.{column}", f"not a number: {paper_values[column]!r}") from None


def _cell(row: TableRow, column: str, percents: list[float], paper: float) -> dict:
    """One cell: mean and sample std over seeds (2 decimals), the paper's value and the difference."""
    ours = _round2(float(np.mean(percents))) if percents else math.nan
    ours_std = _round2(float(np.std(percents, ddof=1))) if len(percents) > 1 else math.nan
    diff = _round2(ours - paper) if not (math.isnan(ours) or math.isnan(paper)) else math.nan
    status = row.status if row.status != REPRODUCED or percents else NO_METRIC
    return {"row_id": row.row_id, "row_name": row.row_name, "dataset": row.dataset, "model": row.model,
            "run": row.run, "column": column, "ours": ours, "ours_std": ours_std, "seeds": len(percents),
            "paper": paper, "diff": diff, "status": status}


def _round2(value: float) -> float:
    return round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def to_csv(result: TableResult, path: str | Path) -> None:
    """Write the cells, one line per row and column, atomically."""
    with atomic_path(path) as tmp:
        result.cells.to_csv(tmp, index=False, columns=CELL_COLUMNS, float_format="%.2f")


def _grid(result: TableResult) -> list[tuple[TableRow, list[dict]]]:
    """The rows with their cells (dicts of CELL_COLUMNS) in column order."""
    records = result.cells.to_dict("records")
    width = len(result.columns)
    return [(row, records[i * width:(i + 1) * width]) for i, row in enumerate(result.rows)]


def _ours_text(cell: dict, plus_minus: str = " ± ") -> str:
    """``25.00``, or ``25.00 ± 1.41`` with several seeds; "" without a value."""
    if math.isnan(cell["ours"]):
        return ""
    text = f"{cell['ours']:.2f}"
    return text + f"{plus_minus}{cell['ours_std']:.2f}" if cell["seeds"] > 1 else text


def _diff_class(cell: dict) -> str:
    """``good`` when ours reaches the paper's value, ``bad`` below it (every column: higher is better)."""
    if cell["status"] in (NOT_RUN, NO_METRIC):
        return "no-metric" if cell["status"] == NO_METRIC else "missing"
    if math.isnan(cell["diff"]):
        return ""
    return "good" if cell["diff"] >= 0 else "bad"


# ---- HTML and LaTeX: pandas Styler --------------------------------------------------------------

# to_html's Styler: pandas' table template replaced by templates/paper_table.tpl (a class per row)
PaperTableStyler = Styler.from_custom_template(str(Path(__file__).parent / "templates"), html_table="paper_table.tpl")


def _styler(result: TableResult, styler: type[Styler], row_id, name, cell, header) -> Styler:
    """A Styler of the table: one row per table row, its columns the row id, the row's name and one per
    paper column, each shown through ``row_id(row)``, ``name(row)``, ``cell(cell)`` and the headers through
    ``header(label)`` (the escaping of the output format); no index."""
    frame = pd.DataFrame([[row_id(row), name(row), *map(cell, cells)] for row, cells in _grid(result)])
    labels = ["row", result.name_header, *result.columns]
    return styler(frame, cell_ids=False).hide(axis="index").format_index(lambda i: header(labels[i]), axis=1)


def to_html(result: TableResult) -> str:
    """A ``<table class="paper-table" id=NAME>`` fragment (style: ``templates/paper_table.css``, which the report
    page includes once): each row classed by its status (``reproduced``, ``not-run``, ``other-work``;
    ``extra`` when not in the paper), each cell ours, the paper's value and the difference, classed
    ``good``/``bad`` by the difference (``missing``, ``no-metric`` without ours)."""
    styler = _styler(result, PaperTableStyler, lambda row: escape(row.row_id), _html_name, _html_cell, escape)
    classes = [["row-id", "row-name", *(f"cell {_diff_class(cell)}".strip() for cell in cells)]
               for _, cells in _grid(result)]
    styler.set_td_classes(pd.DataFrame(classes))
    row_classes = [" ".join([row.status.split(",")[0].replace(" ", "-")] + ([] if row.in_paper else ["extra"]))
                   for row in result.rows]
    return styler.to_html(table_attributes=Markup('class="paper-table" id="{}"').format(result.name),
                          caption=escape(result.title), exclude_styles=True, row_classes=row_classes)


def _html_name(row: TableRow) -> Markup:
    """The row's name, its run (dataset/model/run) and its note."""
    name = escape(row.row_name)
    if row.run:
        name += Markup('<br><span class="run">{}</span>').format(row.run_path)
    if row.note:
        name += Markup('<br><span class="note">{}</span>').format(row.note)
    return name


def _html_cell(cell: dict) -> Markup:
    """Ours (``n=`` with several seeds; a dash when missing), then the paper's value and ours - paper."""
    parts = []
    if cell["status"] != OTHER_WORK:
        title = Markup(' title="no {} in this run"').format(cell["column"]) if cell["status"] == NO_METRIC else ""
        ours = Markup('<span class="ours"{}>{}</span>').format(title, _ours_text(cell) or Markup("&mdash;"))
        seeds = Markup(' <span class="n">n={}</span>').format(cell["seeds"]) if cell["seeds"] > 1 else ""
        parts.append(ours + seeds)
    if not math.isnan(cell["paper"]):
        diff = "" if math.isnan(cell["diff"]) else Markup(' <span class="diff">({:+.2f})</span>').format(cell["diff"])
        parts.append(Markup('<span class="paper">paper {:.2f}</span>').format(cell["paper"]) + diff)
    return Markup("<br>").join(parts)


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(LATEX_SPECIAL.get(char, char) for char in str(text))


def to_latex(result: TableResult) -> str:
    """A booktabs ``table`` environment in small type; each cell reads ``ours (paper, ours - paper)``; a rule
    separates the rows not in the paper from the paper's."""
    extras = [row for row in result.rows if not row.in_paper]
    first_extra = extras[0] if extras and extras[0] is not result.rows[0] else None

    def row_id(row: TableRow) -> str:
        return ("\\midrule\n" if row is first_extra else "") + latex_escape(row.row_id)

    styler = _styler(result, Styler, row_id, _latex_name, _latex_cell, latex_escape)
    styler.set_table_styles([{"selector": "small", "props": ":;"}])
    caption = (f"{latex_escape(result.title)}. Each cell: ours (paper, ours$-$paper), percent; "
               r"with several seeds, mean$\pm$sample std over $n$ seeds.")
    return styler.to_latex(environment="table", position="ht", position_float="centering", hrules=True,
                           caption=caption, label=f"tab:{latex_escape(result.name)}",
                           column_format="ll" + "r" * len(result.columns))


def _latex_name(row: TableRow) -> str:
    return latex_escape(row.row_name) + (rf" \emph{{({latex_escape(row.note)})}}" if row.note else "")


def _latex_cell(cell: dict) -> str:
    ours = ""
    if cell["status"] != OTHER_WORK:
        ours = _ours_text(cell, r"$\pm$") or "--"
        ours += f"$_{{n={cell['seeds']}}}$" if cell["seeds"] > 1 else ""
    if math.isnan(cell["paper"]):
        return ours
    diff = "" if math.isnan(cell["diff"]) else f", ${cell['diff']:+.2f}$"
    return f"{ours} ({cell['paper']:.2f}{diff})".strip()
