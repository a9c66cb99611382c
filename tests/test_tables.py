"""The paper's tables beside ours: cells, missing and other-work rows, CSV/HTML/LaTeX, stage `tables`."""

import argparse
import csv
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness.errors import InputError
from harness.report.aggregate import TIDY_COLUMNS, write_tidy
from harness.report.tables import (CELL_COLUMNS, NO_METRIC, NOT_RUN, OTHER_WORK, REPRODUCED, build_table,
                                   figure_run_ids, load_spec, to_csv, to_html, to_latex, unlisted_runs)

REPO = Path(__file__).resolve().parents[1]
PAPER_DIR = REPO / "configs" / "paper"

PAPER_CSV = """id,model,mAP,APr,note
(1),R50-FPN,25.96,17.65,x
(2),x2,21.93,5.79,x
(3),Other & co,,12.50,x
(4),Mask R50,20.78,3.28,x
(5),tau_norm,11.01,,x
"""
SPEC = {
    "metric_of_column": {"mAP": "AP", "APr": "APr"},
    "tables": {"t1": {
        "title": "Table 1: tiny", "csv": "t1.csv", "key": "id", "label": "model", "dataset": "lvis",
        "model": "faster_r50",
        "rows": {"(1)": "baseline", "(2)": "x2", "(4)": ["mask_r50", "baseline"], "(5)": "tau_norm"},
        "extra_rows": {"seesaw": "Seesaw (not in the paper)"},
    }},
}


def tidy_rows(rows: list[tuple]) -> pd.DataFrame:
    """Tidy table from (model, run id, seed, metric, value) on lvis."""
    return pd.DataFrame([("lvis", model, run, run, seed, metric, value) for model, run, seed, metric, value in rows],
                        columns=TIDY_COLUMNS)


TIDY = tidy_rows([
    ("faster_r50", "baseline", 0, "AP", 0.24), ("faster_r50", "baseline", 1, "AP", 0.26),
    ("faster_r50", "baseline", 0, "APr", 0.18), ("faster_r50", "baseline", 1, "APr", 0.18),
    ("mask_r50", "baseline", 0, "AP", 0.2), ("mask_r50", "baseline", 0, "APr", 0.0333),
    ("faster_r50", "tau_norm", 0, "AP", 0.12),  # no APr: a cell without its metric
    ("faster_r50", "seesaw", 0, "AP", 0.27), ("faster_r50", "seesaw", 0, "APr", 0.2),
    ("faster_r50", "x2", 0, "weight_norm_rho", 0.9),  # x2 has none of the table's metrics
])


@pytest.fixture
def table(tmp_path):
    (tmp_path / "t1.csv").write_text(PAPER_CSV)
    return build_table("t1", SPEC, tmp_path, TIDY)


def cell(result, row_id: str, column: str) -> dict:
    cells = result.cells
    [record] = cells[(cells.row_id == row_id) & (cells.column == column)].to_dict("records")
    return record


def test_layout_follows_the_paper(table):
    assert table.columns == ["mAP", "APr"]  # "note" has no metric
    assert [(r.row_id, r.row_name, r.status) for r in table.rows] == [
        ("(1)", "R50-FPN", REPRODUCED), ("(2)", "x2", NOT_RUN), ("(3)", "Other & co", OTHER_WORK),
        ("(4)", "Mask R50", REPRODUCED), ("(5)", "tau_norm", REPRODUCED),
        ("seesaw", "Seesaw (not in the paper)", REPRODUCED)]
    assert list(table.cells.columns) == CELL_COLUMNS and len(table.cells) == 12


def test_two_seeds_give_mean_std_and_n(table):
    got = cell(table, "(1)", "mAP")
    assert (got["ours"], got["ours_std"], got["seeds"], got["paper"], got["diff"]) == (25.0, 1.41, 2, 25.96, -0.96)
    assert (got["dataset"], got["model"], got["run"], got["status"]) == ("lvis", "faster_r50", "baseline", REPRODUCED)
    got = cell(table, "(1)", "APr")
    assert (got["ours"], got["ours_std"], got["diff"]) == (18.0, 0.0, 0.35)


def test_one_seed_has_no_std(table):
    got = cell(table, "(4)", "APr")
    assert (got["model"], got["ours"], got["seeds"], got["diff"]) == ("mask_r50", 3.33, 1, 0.05)
    assert math.isnan(got["ours_std"])


def test_missing_run_is_named_not_fatal(table):
    assert table.missing_runs == ["lvis/faster_r50/x2"]
    assert table.rows[1].note == "not run: lvis/faster_r50/x2"
    got = cell(table, "(2)", "mAP")
    assert (got["status"], got["seeds"], got["paper"]) == (NOT_RUN, 0, 21.93)
    assert math.isnan(got["ours"]) and math.isnan(got["diff"])


def test_cell_without_its_metric(table):
    assert table.missing_metrics == ["lvis/faster_r50/tau_norm: APr"]
    assert cell(table, "(5)", "APr")["status"] == NO_METRIC
    assert cell(table, "(5)", "mAP")["ours"] == 12.0


def test_other_work_row_keeps_the_paper_values(table):
    got = cell(table, "(3)", "APr")
    assert (got["status"], got["paper"], got["run"]) == (OTHER_WORK, 12.5, None)
    assert math.isnan(got["ours"]) and math.isnan(cell(table, "(3)", "mAP")["paper"])
    assert table.rows[2].note == "other work, not reproduced"


def test_extra_row_has_no_paper_value(table):
    got = cell(table, "seesaw", "mAP")
    assert (got["ours"], got["run"]) == (27.0, "seesaw")
    assert math.isnan(got["paper"]) and math.isnan(got["diff"])
    assert table.count(REPRODUCED) == 4 and table.count(NOT_RUN) == 1 and table.count(OTHER_WORK) == 1


def test_csv_lines(table, tmp_path):
    to_csv(table, tmp_path / "out" / "t1.csv")
    lines = list(csv.DictReader((tmp_path / "out" / "t1.csv").open()))
    assert list(lines[0]) == CELL_COLUMNS
    assert lines[0] == {"row_id": "(1)", "row_name": "R50-FPN", "dataset": "lvis", "model": "faster_r50",
                        "run": "baseline", "column": "mAP", "ours": "25.00", "ours_std": "1.41", "seeds": "2",
                        "paper": "25.96", "diff": "-0.96", "status": REPRODUCED}
    assert lines[2]["ours"] == "" and lines[2]["status"] == NOT_RUN


def html_rows(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(class, [(classes, HTML) of each cell]) of each body row of a table fragment; cell classes without
    the Styler's own (``data``, ``row<i>``, ``col<j>``)."""
    def ours(classes: str) -> str:
        return " ".join(c for c in classes.split() if c != "data" and not re.fullmatch(r"(row|col)\d+", c))

    return [(row_class, [(ours(classes), cell) for classes, cell in re.findall(r'<td class="([^"]*)">(.*?)</td>', row)])
            for row_class, row in re.findall(r'<tr class="([^"]*)">(.*?)</tr>', text)]


def test_html_shows_every_row_and_marks_missing(table):
    text = to_html(table)
    assert text.startswith('<table class="paper-table" id="t1">') and "<caption>Table 1: tiny</caption>" in text
    assert re.findall(r"<th[^>]*>([^<]*)</th>", text) == ["row", "model", "mAP", "APr"]
    rows = html_rows(text)
    assert [row_class for row_class, _ in rows] == ["reproduced", "not-run", "other-work", "reproduced", "reproduced",
                                                    "reproduced extra"]
    assert all([classes for classes, _ in cells][:2] == ["row-id", "row-name"] for _, cells in rows)
    assert [cells[1][1].split("<br>")[0] for _, cells in rows] == [
        "R50-FPN", "x2", "Other &amp; co", "Mask R50", "tau_norm", "Seesaw (not in the paper)"]  # escaped
    assert '<span class="note">not run: lvis/faster_r50/x2</span>' in rows[1][1][1][1]
    assert '<span class="note">other work, not reproduced</span>' in rows[2][1][1][1]
    assert rows[0][1][2] == ("cell bad", '<span class="ours">25.00 ± 1.41</span> <span class="n">n=2</span><br>'
                                         '<span class="paper">paper 25.96</span> <span class="diff">(-0.96)</span>')
    assert rows[0][1][3][0] == "cell good" and rows[1][1][2][0] == "cell missing"
    assert rows[4][1][3] == ("cell no-metric", '<span class="ours" title="no APr in this run">&mdash;</span>')
    assert rows[5][1][2] == ("cell", '<span class="ours">27.00</span>')  # not in the paper: no paper value


def test_latex_is_booktabs_and_escaped(table):
    text = to_latex(table)
    assert text.startswith("\\begin{table}[ht]\n\\centering\n") and text.endswith("\\end{tabular}\n\\end{table}\n")
    assert r"\toprule" in text and r"\bottomrule" in text and r"\caption{Table 1: tiny." in text
    assert "\\label{tab:t1}" in text and "\\begin{tabular}{llrr}" in text and "\\small" in text
    assert "\\toprule\nrow & model & mAP & APr \\\\\n\\midrule\n(1) & " in text
    assert (r"(1) & R50-FPN & 25.00$\pm$1.41$_{n=2}$ (25.96, $-0.96$) & 18.00$\pm$0.00$_{n=2}$ (17.65, $+0.35$) \\"
            in text)
    assert r"(2) & x2 \emph{(not run: lvis/faster\_r50/x2)} & -- (21.93) & -- (5.79) \\" in text
    assert r"(3) & Other \& co \emph{(other work, not reproduced)} &  & (12.50) \\" in text
    assert "\\midrule\nseesaw & Seesaw (not in the paper) & 27.00 & 20.00 \\\\" in text
    assert text.count("\\midrule") == 2  # below the header, above the rows not in the paper


def test_unknown_paper_row_is_an_input_error(tmp_path):
    (tmp_path / "t1.csv").write_text(PAPER_CSV)
    spec = yaml.safe_load(yaml.safe_dump(SPEC))
    spec["tables"]["t1"]["rows"]["(9)"] = "rfs"
    with pytest.raises(InputError, match=r"names rows \['\(9\)'\]"):
        build_table("t1", spec, tmp_path, TIDY)


def test_bad_row_shape_is_an_input_error(tmp_path):
    spec = yaml.safe_load(yaml.safe_dump(SPEC))
    spec["tables"]["t1"]["rows"]["(1)"] = ["faster_r50"]
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError, match=r"\[model, run id\]") as err:
        load_spec(tmp_path / "spec.yaml")
    assert err.value.field == "tables.t1.rows.(1)"


@pytest.mark.parametrize("name, rows, columns", [("table1", 19, 14), ("table2", 6, 8), ("table3", 12, 16),
                                                  ("table4", 7, 8)])
def test_real_spec_builds_every_paper_row(name, rows, columns):
    spec = load_spec(PAPER_DIR / "tables.yaml")
    result = build_table(name, spec, PAPER_DIR, pd.DataFrame(columns=TIDY_COLUMNS))
    assert (len(result.rows), len(result.columns)) == (rows, columns)
    assert result.count(REPRODUCED) == 0


def test_real_spec_row_names():
    spec = load_spec(PAPER_DIR / "tables.yaml")
    empty = pd.DataFrame(columns=TIDY_COLUMNS)
    table1 = build_table("table1", spec, PAPER_DIR, empty)
    assert [r.row_name for r in table1.rows][:2] == ["R50-FPN", "x2"]
    extras = [(r.row_id, r.run, r.in_paper) for r in table1.rows[14:]]
    assert extras == [(run, run, False) for run in ("seesaw", "focal_release", "focal_cls_release",
                                                     "tau_norm_release", "tau_norm_select_release")]
    assert table1.rows[15].row_name == "Focal loss, release targets (emulates the release's bug)"
    table3 = build_table("table3", spec, PAPER_DIR, empty)
    assert (table3.rows[0].row_name, table3.rows[0].status) == ("Mask-RFS* R50", OTHER_WORK)
    assert (table3.rows[7].row_name, table3.rows[7].run_path) == ("+ BAGS R50", "lvis/mask_r50/bags")
    table4 = build_table("table4", spec, PAPER_DIR, empty)
    assert [r.row_name for r in table4.rows][:2] == ["baseline", "no no 4"]  # unlabelled row: its run id
    assert table4.missing_runs[0] == "lvis/faster_r50/baseline"


def test_every_method_file_is_a_table1_row():
    """A transferred-method file with table1_row N fills paper row (N); one without is one of table 1's
    extra rows. BAGS runs (Tables 2-4, Figure 4) fill other tables."""
    from harness.runs import selected_specs

    table1 = load_spec(PAPER_DIR / "tables.yaml")["tables"]["table1"]
    specs = selected_specs({"runs": [{"runs": "all"}]}, "test", REPO / "configs" / "methods")
    runs = {run_id: spec for run_id, spec in specs.items() if spec.method != "bags"}
    for run_id, spec in runs.items():
        if spec.table1_row is None:
            assert run_id in table1["extra_rows"], run_id
        else:
            assert table1["rows"][f"({spec.table1_row})"] == run_id
    assert set(table1["extra_rows"]) <= set(runs)


def test_stage_writes_three_files_per_table(tmp_path, capsys):
    from harness.stages import tables

    (tmp_path / "t1.csv").write_text(PAPER_CSV)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    write_tidy(TIDY, tmp_path / "tidy.csv")
    out = tmp_path / "tables"
    tables.run(argparse.Namespace(tidy=str(tmp_path / "tidy.csv"), spec=str(tmp_path / "spec.yaml"),
                                  paper_dir=str(tmp_path), out_dir=str(out), figures=None))
    assert sorted(p.name for p in out.iterdir()) == ["t1.csv", "t1.html", "t1.tex"]
    assert capsys.readouterr().out == (f"tables: t1: 4 of 5 rows reproduced, 1 missing, 1 other work, "
                                       f"1 cells without their metric -> {out / 't1'}.{{csv,html,tex}}\n")
    assert next(csv.DictReader((out / "t1.csv").open()))["ours"] == "25.00"


def test_stage_wants_the_tidy_file(tmp_path):
    from harness.stages import tables

    with pytest.raises(InputError, match="tidy metrics file does not exist"):
        tables.run(argparse.Namespace(tidy=str(tmp_path / "none.csv"), spec=str(PAPER_DIR / "tables.yaml"),
                                      paper_dir=str(PAPER_DIR), out_dir=str(tmp_path), figures=None))


def test_a_difference_row_subtracts_two_runs_per_seed(tmp_path):
    (tmp_path / "d.csv").write_text("id,model,mAP\n(1),Faster,\n(2),+ BAGS (delta),2.20\n")
    spec = {"metric_of_column": {"mAP": "AP"}, "tables": {"d": {
        "title": "COCO-LT", "csv": "d.csv", "key": "id", "label": "model", "dataset": "lvis",
        "rows": {"(1)": ["faster_r50", "baseline"], "(2)": ["faster_r50", "bags", "baseline"]}}}}
    tidy = tidy_rows([("faster_r50", "baseline", 0, "AP", 0.20), ("faster_r50", "baseline", 1, "AP", 0.22),
                      ("faster_r50", "bags", 0, "AP", 0.23), ("faster_r50", "bags", 1, "AP", 0.24)])
    got = cell(build_table("d", spec, tmp_path, tidy), "(2)", "mAP")
    assert (got["ours"], got["ours_std"], got["seeds"], got["paper"], got["diff"]) == (2.5, 0.71, 2, 2.2, 0.3)
    assert got["run"] == "bags - baseline"


def test_a_run_no_table_names_becomes_an_extra_row_of_its_table(tmp_path, capsys):
    """A new run on Table 1's data set and model appears without a tables.yaml edit, and the stage says so;
    runs a figure reads and runs of other models do not."""
    from harness.stages import tables

    tidy = pd.concat([TIDY, tidy_rows([("faster_r50", "my_method", 0, "AP", 0.3), ("faster_r50", "beta_sweep", 0, "AP", 0.2),
                                       ("cascade_x101", "my_method", 0, "AP", 0.1)])], ignore_index=True)
    assert unlisted_runs(SPEC, tidy, {"beta_sweep"}) == {"t1": ["my_method"]}
    assert unlisted_runs(SPEC, tidy) == {"t1": ["beta_sweep", "my_method"]}
    (tmp_path / "t1.csv").write_text(PAPER_CSV)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (tmp_path / "figures.yaml").write_text(yaml.safe_dump({"figures": {"f": {"runs": ["beta_sweep"]}}}))
    write_tidy(tidy, tmp_path / "tidy.csv")
    tables.run(argparse.Namespace(tidy=str(tmp_path / "tidy.csv"), spec=str(tmp_path / "spec.yaml"),
                                  paper_dir=str(tmp_path), out_dir=str(tmp_path / "out"),
                                  figures=str(tmp_path / "figures.yaml")))
    assert capsys.readouterr().out.startswith("tables: t1: runs named by no table or figure, added as extra rows: my_method\n")
    rows = list(csv.DictReader((tmp_path / "out" / "t1.csv").open()))
    mine = [r for r in rows if r["run"] == "my_method" and r["column"] == "mAP"]
    assert [(r["row_name"], r["ours"], r["paper"]) for r in mine] == [("my_method (not in the paper)", "30.00", "")]


def test_figure_run_ids_read_every_figure_shape():
    figures = yaml.safe_load((PAPER_DIR / "figures.yaml").read_text())
    assert figure_run_ids(figures) == {"baseline", "bags", "rfs", "reweight_cls", "bags_beta0", "bags_beta1", "bags_beta2",
                                       "bags_beta4", "bags_beta16", "bags_betan", "bags_betaall"}
