"""The report page (harness.report.html and the ``report`` stage) on a small hand-made results tree,
checked as text and in a real headless browser (the system package ``chromium``)."""

import argparse
import base64
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from conftest import REPO  # noqa: E402
from harness.errors import InputError  # noqa: E402
from harness.report.html import ReportInputs, render_report, total_loss  # noqa: E402
from harness.stages import report as report_stage  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
TEMPLATES = REPO / "harness" / "report" / "templates"
PROFILE = {"profile": "tiny", "description": "A hand-made results tree.", "seeds": [0]}
SECTION_IDS = ("overview", "tables", "claims", "figures", "runs")  # in page order
TABLES = ("table1", "table2")
FIGURES = (("figure1", "weight norms"), ("figure2", "the BAGS module, beta = 8"))
CLAIMS = (("tail_improves", "holds"), ("head_kept", "does not hold"), ("noise_level", "inconclusive"),
          ("x2_helps", "not run"))
# rule -> (jobs, seconds) from the benchmark files written below; longest first
WALL_TIMES = [("train", 1, "100.25"), ("predict", 2, "10.00"), ("synth", 2, "3.75"),
              ("posthoc", 1, "3.25"), ("figure1", 1, "0.75")]
# the rows of each table fragment and CSV: row id, name, our mAP cell, ours - paper (None: not in the paper),
# in the tables stage's order
TABLE_ROWS = [("(1)", "R50-FPN", "22.24 \u00b1 0.44", 1.26), ("(2)", "x2", "23.55 \u00b1 0.36", 1.62),
              ("(10)", "NCM-fc", "26.09 \u00b1 0.52", -0.5), ("seesaw", "Seesaw loss", "23.67", None),
              ("(3)", "Finetune tail", "\u2014", None)]
NOT_RUN = "\u2014"  # a cell of a row not run
# per-category AP (fractions, -1: no val instance) of the two runs, and the train counts of the categories
CATEGORY_AP = {"baseline": {"1": 0.1, "2": 0.3, "3": 0.5, "4": -1.0, "5": 0.7},
               "ncm_fc": {"1": 0.25, "2": 0.35, "3": 0.45, "4": -1.0, "5": 0.55}}
TRAIN_COUNTS = {1: 2, 2: 10, 3: 100, 4: 50, 5: 0}  # category 5: no train instance (not on a log axis)
LONG_TAIL_RUNS = [("lvis", "faster_r50", "baseline"), ("lvis", "faster_r50", "ncm_fc")]


def write_benchmark(path: Path, seconds: float) -> None:
    """A Snakemake benchmark file: header, then one row whose column ``s`` is the wall time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                    f"{seconds}\t0:00:00\t1.0\t1.0\t1.0\t1.0\t0.0\t0.0\t1.0\t1.0\n")


def write_json(path: Path, payload) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    return path


def meta(stage: str, method: str, option=None, **extra) -> dict:
    return {"stage": stage, "settings": {"method": method, "option": option}, "seed": 0, "device": "cpu",
            "git_commit": "abc123", "python": "3.11.7", "platform": "test-platform",
            "packages": {"torch": "9.9.9-test", "mmdet": "3.3.0"}, "wall_time_s": 13.0, **extra}


def run_field(run_id: str, seed: int = 0) -> dict:
    """The "run" field the run stages write (--run lvis/faster_r50/RUN_ID/SEED)."""
    return {"dataset": "lvis", "model": "faster_r50", "run_id": run_id, "seed": seed}


def metrics_files(root: Path) -> list[Path]:
    """The metrics files of make_results's two runs: what the report rule passes as --metrics."""
    return [root / "runs" / "lvis" / "faster_r50" / run_id / "seed0" / "evaluate" / "metrics.json"
            for run_id in ("ncm_fc", "baseline")]


def make_results(root: Path) -> Path:
    """Two runs (trained baseline with a log; post-hoc NCM without), benchmarks and one stats summary."""
    baseline = root / "runs" / "lvis" / "faster_r50" / "baseline" / "seed0"
    write_json(baseline / "train" / "meta.json", meta("train", "baseline", epochs=3, train_seconds=12.5,
                                                      run={**run_field("baseline"), "method": "baseline",
                                                           "options": {}}))
    (baseline / "train" / "log.jsonl").write_text("".join(
        json.dumps({"epoch": epoch, "lr": 0.02, "loss": loss, "loss_cls": loss / 2}) + "\n"
        for epoch, loss in ((1, 2.0), (2, 1.5), (3, 1.0))))
    write_json(baseline / "evaluate" / "metrics.json", {"AP": 0.25, "AP1": -1.0, "AP2": 0.125, "ACC": 0.5,
                                                        "per_category": {"bbox": CATEGORY_AP["baseline"]},
                                                        "run": run_field("baseline")})
    write_benchmark(baseline / "benchmarks" / "train.tsv", 100.25)
    write_benchmark(baseline / "benchmarks" / "predict.tsv", 5.5)
    ncm = root / "runs" / "lvis" / "faster_r50" / "ncm_fc" / "seed0"
    write_json(ncm / "train" / "meta.json", meta("posthoc", "ncm_fc", ["k=1"]))
    write_json(ncm / "evaluate" / "metrics.json", {"AP": 0.2, "thresholds": [4, 16, 64], "run": run_field("ncm_fc"),
                                                   "per_category": {"bbox": CATEGORY_AP["ncm_fc"]}})
    write_benchmark(ncm / "benchmarks" / "posthoc.tsv", 3.25)
    write_benchmark(ncm / "benchmarks" / "predict.tsv", 4.5)
    write_benchmark(root / "benchmarks" / "synth" / "lvis.tsv", 1.25)
    write_benchmark(root / "benchmarks" / "synth" / "coco.tsv", 2.5)
    write_benchmark(root / "benchmarks" / "figure1.tsv", 0.75)
    write_json(root / "data" / "lvis" / "train.json",
               {"info": {"bin_thresholds": [4, 16, 64]},
                "categories": [{"id": cid, "instance_count": n} for cid, n in TRAIN_COUNTS.items()]})
    write_json(root / "stats" / "lvis" / "summary.json",
               {"num_categories": 40, "thresholds": [4, 16, 64], "categories_per_bin": [10, 12, 10, 8],
                "train": {"images": 314, "instances": 1366}, "val": {"images": 70, "instances": 288}})
    return root


def table_fragment(name: str) -> str:
    """A table fragment shaped as the tables stage writes it (a pandas Styler's table with the paper table's
    classes), with the rows of TABLE_ROWS."""
    rows = "".join(f'<tr class="{"not-run" if ours == NOT_RUN else "reproduced"}">'
                   f'<td class="data row{i} col0 row-id">{row_id}</td>'
                   f'<td class="data row{i} col1 row-name">{row_name}</td>'
                   f'<td class="data row{i} col2 cell">{ours}</td></tr>\n'
                   for i, (row_id, row_name, ours, diff) in enumerate(TABLE_ROWS))
    headers = "".join(f'<th class="col_heading level0 col{j}">{label}</th>'
                      for j, label in enumerate(("row", "model", "mAP")))
    return (f'<table class="paper-table" id="{name}">\n<caption>{name} caption &amp; more</caption>\n'
            f"<thead>\n<tr>{headers}</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n")


def table_csv(path: Path) -> Path:
    """The CSV beside a fragment: the mAP and AP1 rows of TABLE_ROWS (only mAP is charted)."""
    lines = ["row_id,row_name,dataset,model,run,column,ours,ours_std,seeds,paper,diff,status"]
    for row_id, row_name, ours, diff in TABLE_ROWS:
        status = "not run: lvis/faster_r50/finetune_tail" if ours == NOT_RUN else "reproduced"
        paper = "" if diff is None else f"{20 + diff:.2f}"
        for column in ("mAP", "AP1"):
            shown = "" if diff is None else f"{diff:.2f}"
            lines.append(f'{row_id},{row_name},lvis,faster_r50,run,{column},22.00,0.40,3,{paper},{shown},"{status}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def make_report_files(tmp: Path) -> dict:
    """Table fragments and CSVs, a claims JSON and PNG figures, as the other stages would write them."""
    tables, csvs = {}, {}
    for name in TABLES:
        tables[name] = tmp / "tables" / f"{name}.html"
        tables[name].parent.mkdir(parents=True, exist_ok=True)
        tables[name].write_text(table_fragment(name))
        csvs[name] = table_csv(tables[name].with_suffix(".csv"))
    results = [{"id": claim_id, "text": f"claim {claim_id} <text>", "source": "Table 1", "status": status,
                "kind": "phenomenon", "slack": None if status == "not run" else 1.5,
                "interval": None if status == "not run" else [-0.5, 3.25],
                "method": "" if status == "not run" else "seeds x image bootstrap, 4 draws, 95 % percentile",
                "numbers": [["baseline AP1", 6.9]], "explanation": f"because {claim_id}", "parts": [], "cause": "",
                "missing": [], "paper": {"AP1": 0.0}} for claim_id, status in CLAIMS]
    results[1].update(kind="release_artefact", cause="the release's focal targets <broken>", parts=[
        {"type": "greater", "status": "holds", "slack": 2.0, "interval": [1.0, 3.0], "explanation": "a"},
        {"type": "at_least", "status": "does not hold", "slack": -1.0, "interval": [-1.0, -1.0], "explanation": "b"}])
    claims = write_json(tmp / "claims.json", {"claims": "claims.yaml", "tidy": "tidy.csv",
                                              "bootstrap": "bootstrap.csv", "summary": {}, "results": results})
    figures = []
    for i, (figure_id, caption) in enumerate(FIGURES):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 2], [i, 2 - i, 1])
        path = tmp / "figures" / f"{figure_id}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=80)
        plt.close(fig)
        figures.append((figure_id, caption, path))
    return {"tables": tables, "table_csvs": csvs, "claims_json": claims, "figures": figures}


def report_inputs(tmp: Path) -> ReportInputs:
    results = make_results(tmp / "results")
    return ReportInputs(profile=PROFILE, results_root=results, metrics=metrics_files(results),
                        **make_report_files(tmp), train_stats={"lvis": results / "data" / "lvis" / "train.json"},
                        long_tail_runs=LONG_TAIL_RUNS, generated_at="2020-06-14 12:00:00 UTC", commit="def456")


class TableRows(HTMLParser):
    """The text of every cell, per row, of the tables whose class contains ``table_class``."""

    def __init__(self, table_class: str):
        super().__init__()
        self.table_class, self.inside, self.rows = table_class, False, []

    def handle_starttag(self, tag, attrs):
        if tag == "table" and self.table_class in (dict(attrs).get("class") or ""):
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def table_rows(page: str, table_class: str) -> list[list[str]]:
    parser = TableRows(table_class)
    parser.feed(page)
    return [[cell.strip() for cell in row] for row in parser.rows]


def details_of(page: str, run: str) -> str:
    """The ``<details>`` element of run folder lvis/faster_r50/RUN/seed0."""
    match = re.search(rf'<details class="run" id="run-lvis-faster_r50-{run}-seed0">.*?</details>', page, re.S)
    assert match, f"no <details> for run {run}"
    return match.group(0)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    """The report page of the hand-made tree, written to disk (shared by the browser tests)."""
    tmp = tmp_path_factory.mktemp("report")
    path = tmp / "index.html"
    path.write_text(render_report(report_inputs(tmp)), encoding="utf-8")
    return path


# --- the page as text -------------------------------------------------------------------------------


def test_page_has_every_section_table_and_figure(page_file):
    page = page_file.read_text()
    assert page.startswith("<!DOCTYPE html>")
    for section_id in SECTION_IDS:
        assert f'<section id="{section_id}">' in page
    for style in ("page.css", "paper_table.css", "table_controls.css"):  # each style sheet once, inline
        assert page.count((TEMPLATES / style).read_text()) == 1, style
    for name in TABLES:
        assert f'<section id="{name}" class="paper-table-section">' in page
        assert f'id="{name}-table"' in page and f"{name} caption &amp; more" in page
    figure_dir = page_file.parent / "figures"
    for figure_id, caption in FIGURES:
        data = base64.b64encode((figure_dir / f"{figure_id}.png").read_bytes()).decode()
        assert f'<figure id="{figure_id}"><img src="data:image/png;base64,{data}"' in page
        assert caption in page
    assert "http://" not in page and "https://" not in page
    assert "2020-06-14 12:00:00 UTC" in page and "def456" in page and "9.9.9-test" in page


def test_claims_rows_and_summary(page_file):
    page = page_file.read_text()
    for claim_id, status in CLAIMS:
        css = status.replace(" ", "-")
        assert f'<tr id="claim-{claim_id}" class="claim {css}"><td><span class="badge {css}">{status}</span>' in page
    assert "claim tail_improves &lt;text&gt;" in page  # escaped
    assert "holds: 1" in page and "does not hold: 1" in page and "inconclusive: 1" in page and "not run: 1" in page
    rows = table_rows(page, "claims")
    assert rows[0] == ["status", "claim", "kind", "source", "slack [95 % interval]", "our numbers",
                       "paper's numbers", "explanation"]
    assert ["holds", "claim tail_improves <text>tail_improves", "phenomenon", "Table 1", "+1.50 [-0.50, +3.25]",
            "baseline AP1: 6.90", "AP1: 0.00", "because tail_improves"] == rows[1]
    assert rows[2][2:5] == ["release artefact", "Table 1", "+1.50 [-0.50, +3.25]greater +2.00 [+1.00, +3.00]"
                                                           "at_least -1.00"]
    assert rows[2][-1] == "because head_keptcause: the release's focal targets <broken>"
    assert rows[4][4] == "\u2014"  # not run: no slack
    assert '<span class="dot does-not-hold" title="does not hold"></span>at_least -1.00' in page
    assert ".badge.inconclusive {" in page and "bootstrap.csv" in page
    assert "Intervals: seeds x image bootstrap, 4 draws, 95 % percentile (3 claims)." in page


def test_wall_time_sums_benchmarks_per_rule(page_file):
    rows = table_rows(page_file.read_text(), "wall-time")
    assert rows[0][:3] == ["stage (rule)", "jobs", "seconds"]
    assert [(row[0], int(row[1]), row[2]) for row in rows[1:-1]] == WALL_TIMES
    assert rows[-1][:4] == ["total", "7", "118.00", "0:01:58"]


def test_runs_show_metrics_loss_chart_and_posthoc_note(page_file):
    page = page_file.read_text()
    assert page.count('<details class="run"') == 2
    baseline = details_of(page, "baseline")
    assert '<svg class="loss-chart"' in baseline and "<polyline" in baseline
    assert ["AP", "AP1", "AP2", "ACC"] == table_rows(baseline, "plain")[-2]
    assert ["25.00", "n/a", "12.50", "50.00"] == table_rows(baseline, "plain")[-1]
    assert "12.5" in baseline and "train 100.2 s" in baseline
    ncm = details_of(page, "ncm_fc")
    assert "no training log" in ncm and "<svg" not in ncm and "ncm_fc (k=1)" in ncm
    assert "<td>lvis</td>" in page and "10 / 12 / 10 / 8" in page  # data sets table


def test_total_loss_falls_back_to_the_sum_of_loss_terms():
    assert total_loss({"loss": 2.0, "loss_cls": 1.0}) == 2.0
    assert total_loss({"s0.loss_cls_g0": 0.25, "s1.loss_cls_g0": 0.5, "s0.acc": 90.0}) == 0.75
    assert total_loss({"acc": 90.0}) is None


def test_missing_optional_inputs_show_not_available(tmp_path):
    (tmp_path / "empty").mkdir()
    page = render_report(ReportInputs(profile=PROFILE, results_root=tmp_path / "empty", generated_at="now"))
    for section_id in SECTION_IDS:
        section = re.search(rf'<section id="{section_id}">.*?</section>', page, re.S).group(0)
        assert "not available" in section, section_id


def test_the_templates_escape_what_the_inputs_say(tmp_path):
    """The page comes from the templates with autoescaping: markup in a profile, a claim or a figure caption is
    shown as text (also inside attributes), and the inputs left out (runs, stats, tables) are noted."""
    (tmp_path / "empty").mkdir()
    claims = write_json(tmp_path / "claims.json", {"claims": "claims.yaml", "tidy": "<b>tidy</b>.csv", "results": [
        {"id": 'x"y', "text": "<script>alert('claim')</script> holds", "status": "holds", "kind": "phenomenon",
         "numbers": [["<AP>", 1.0]], "explanation": "because <i>so</i>", "cause": "<img src=x onerror=alert(1)>"}]})
    png = tmp_path / "figure1.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not drawn here")
    page = render_report(ReportInputs(profile={"profile": "<script>p</script>", "description": "a & b"},
                                      results_root=tmp_path / "empty", claims_json=claims, generated_at="now",
                                      figures=[("figure1", 'a "caption"><script>alert(2)</script>', png)]))
    assert page.count("<script") == 1 and page.count("<img") == 1  # the table controls and the figure only
    assert "<title>BAGS reproduction report: profile &lt;script&gt;p&lt;/script&gt;</title>" in page
    assert "<td>a &amp; b</td>" in page and "&lt;b&gt;tidy&lt;/b&gt;.csv" in page
    assert '<tr id="claim-x&#34;y" class="claim holds">' in page
    assert "&lt;script&gt;alert(&#39;claim&#39;)&lt;/script&gt; holds" in page and "<li>&lt;AP&gt;: 1.00</li>" in page
    assert "because &lt;i&gt;so&lt;/i&gt;" in page and "cause: &lt;img src=x onerror=alert(1)&gt;" in page
    assert 'alt="Figure 1: a &#34;caption&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in page
    for section_id, missing in (("overview", "no Snakemake benchmark files"), ("tables", "no table fragments"),
                                ("runs", "no runs given"), ("figures", "error analysis by bin not drawn")):
        section = re.search(rf'<section id="{section_id}">.*?</section>', page, re.S).group(0)
        assert f'<p class="not-available">not available: {missing}' in section, section_id


def test_only_the_given_runs_are_shown_with_identity_from_their_files(tmp_path):
    """A run folder whose metrics file is not passed in is not shown (nor its benchmarks counted); a run's
    name comes from its metrics file's "run", not from the folder's names."""
    inputs = report_inputs(tmp_path)
    stray = inputs.results_root / "runs" / "lvis" / "faster_r50" / "old_run" / "seed0"
    write_json(stray / "evaluate" / "metrics.json", {"AP": 0.9, "run": run_field("old_run")})
    write_benchmark(stray / "benchmarks" / "train.tsv", 999.0)
    renamed = inputs.results_root / "runs" / "lvis" / "faster_r50" / "renamed" / "seed0"
    write_json(renamed / "evaluate" / "metrics.json", {"AP": 0.3, "run": run_field("tau_norm", 3)})
    inputs.metrics.append(renamed / "evaluate" / "metrics.json")
    page = render_report(inputs)
    assert page.count('<details class="run"') == 3 and "old_run" not in page
    assert table_rows(page, "wall-time")[-1][:3] == ["total", "7", "118.00"]  # not the stray's 999 s
    assert 'id="run-lvis-faster_r50-tau_norm-seed3"' in page and "lvis / faster_r50 / tau_norm / seed 3" in page


@pytest.mark.parametrize("run, field, problem", [(None, "run", "rerun `python -m harness evaluate` with --run"),
                                                 ({"dataset": "lvis"}, "run.model", "expected a name")])
def test_metrics_file_without_its_run_is_an_input_error(tmp_path, run, field, problem):
    inputs = report_inputs(tmp_path)
    write_json(inputs.metrics[0], {"AP": 0.2, **({"run": run} if run else {})})
    with pytest.raises(InputError, match=problem) as err:
        render_report(inputs)
    assert err.value.source == str(inputs.metrics[0]) and err.value.field == field


def test_training_meta_of_another_run_is_an_input_error(tmp_path):
    inputs = report_inputs(tmp_path)
    baseline = inputs.metrics[1]
    write_json(baseline, {"AP": 0.2, "run": run_field("baseline", 1)})  # the folder holds seed 0's training
    with pytest.raises(InputError, match="records run lvis/faster_r50/baseline/0") as err:
        render_report(inputs)
    assert err.value.source == str(baseline.parent.parent / "train" / "meta.json") and err.value.field == "run"


@pytest.mark.parametrize("which", ["results", "table", "table_csv", "train_stats", "claims", "figure"])
def test_missing_explicit_file_is_an_input_error(tmp_path, which):
    inputs = report_inputs(tmp_path)
    missing = tmp_path / "missing.file"
    if which == "results":
        inputs.results_root = missing
    elif which == "table":
        inputs.tables["table1"] = missing
    elif which == "table_csv":
        inputs.table_csvs["table1"] = missing
    elif which == "train_stats":
        inputs.train_stats["lvis"] = missing
    elif which == "claims":
        inputs.claims_json = missing
    else:
        inputs.figures[0] = ("figure1", "caption", missing)
    with pytest.raises(InputError) as err:
        render_report(inputs)
    assert err.value.source == str(missing)


def test_stage_writes_the_page_and_prints_a_summary(tmp_path, capsys):
    files = make_report_files(tmp_path)
    out = tmp_path / "reports" / "index.html"
    parser = argparse.ArgumentParser()
    report_stage.add_arguments(parser)
    args = parser.parse_args([
        "--profile", str(REPO / "configs" / "profiles" / "default.yaml"),
        "--results", str(make_results(tmp_path / "results")),
        "--metrics", *map(str, metrics_files(tmp_path / "results")),
        "--tables", *map(str, files["tables"].values()), "--claims", str(files["claims_json"]),
        *[arg for fid, caption, path in files["figures"] for arg in ("--figure", f"{fid}={caption}={path}")],
        "--out", str(out)])
    report_stage.run(args)
    printed = capsys.readouterr().out
    assert str(out) in printed and "kB" in printed and "1 hold, 1 do not hold, 1 inconclusive, 1 not run" in printed
    page = out.read_text()
    assert "profile default" in page and '<figure id="figure2">' in page and "the BAGS module, beta = 8" in page
    assert report_stage.parse_figure("f1=a = b=x.png") == ("f1", "a = b", "x.png")


def test_tables_come_before_the_claims(page_file):
    page = page_file.read_text()
    positions = [page.index(f'<section id="{section_id}">') for section_id in SECTION_IDS]
    assert positions == sorted(positions) and SECTION_IDS[1:3] == ("tables", "claims")
    nav = re.search(r"<nav>.*?</nav>", page).group(0)
    assert nav.index("#tables") < nav.index("#claims")


def test_every_table_has_a_filter_box_and_the_page_its_script(page_file):
    page = page_file.read_text()
    for name in (*TABLES, "claims"):
        label = _pretty_name(name)
        assert f'<input type="search" class="table-filter" placeholder="filter rows" aria-label="filter the rows of ' \
               f'{label}">' in page, name
    assert page.count('<div class="table-block">') == len(TABLES) + 1
    assert page.count("<script>") == 1 and "addEventListener(\"click\"" in page
    assert "<script src" not in page and "<link" not in page  # self-contained


def _pretty_name(name: str) -> str:
    return {"claims": "the claims"}.get(name, f"Table {name.removeprefix('table')}")


def test_each_table_has_an_ours_minus_paper_chart_of_its_reproduced_map_rows(page_file):
    page = page_file.read_text()
    for name in TABLES:
        section = re.search(rf'<section id="{name}" class="paper-table-section">.*?</section>', page, re.S).group(0)
        chart = re.search(r'<svg class="paper-delta".*?</svg>', section, re.S).group(0)
        bars = re.findall(r'<g class="delta-row" data-row="([^"]+)" data-diff="([^"]+)">', chart)
        assert bars == [("(1)", "1.26"), ("(2)", "1.62"), ("(10)", "-0.50")]  # mAP, reproduced, with a paper value
        fills = re.findall(r'<rect class="delta-bar"[^>]*fill="([^"]+)"', chart)
        assert fills == ["#1a7f37", "#1a7f37", "#b42318"]  # green: at least the paper's
        assert "(10) NCM-fc" in chart and "+1.26" in chart and "-0.50" in chart and "Seesaw" not in chart


def test_delta_chart_reads_the_table_csv(tmp_path):
    from harness.report.paper_delta import delta_chart, read_deltas

    deltas = read_deltas(table_csv(tmp_path / "t.csv"))
    assert [(d.row_id, d.label, d.diff, d.std) for d in deltas] == [
        ("(1)", "(1) R50-FPN", 1.26, 0.4), ("(2)", "(2) x2", 1.62, 0.4), ("(10)", "(10) NCM-fc", -0.5, 0.4)]
    assert "no reproduced row" in delta_chart([], "Table 9")
    (tmp_path / "bad.csv").write_text("row_id,row_name\n(1),x\n")
    with pytest.raises(InputError, match="missing column") as err:
        read_deltas(tmp_path / "bad.csv")
    assert err.value.field == "dataset"


def test_long_tail_figure_is_embedded(page_file):
    page = page_file.read_text()
    match = re.search(r'<figure id="long-tail"><img src="data:image/png;base64,([^"]+)" alt="Long tail: ', page)
    assert match and base64.b64decode(match.group(1)).startswith(b"\x89PNG")
    figures = re.search(r'<section id="figures">.*?</section>', page, re.S).group(0)
    assert figures.index('id="long-tail"') < figures.index('id="figure1"')
    assert "per-category AP (bbox, %) against train instances" in figures and "left out" not in figures


def long_tail_runs(tmp_path) -> list:
    """The report's run folders of the hand-made tree (what render_report hands the figure)."""
    from harness.report.html import read_runs

    return read_runs(metrics_files(make_results(tmp_path / "results")))


def test_long_tail_points_average_seeds_and_skip_what_a_log_axis_cannot_show(tmp_path):
    from harness.report.long_tail import bin_means, category_points

    runs = long_tail_runs(tmp_path)
    second = copy_run(runs[0], seed=1, category_ap={"1": 0.3, "2": 0.5, "3": 0.5, "4": -1.0, "5": 0.7})
    points = category_points([runs[0], second, runs[1]], TRAIN_COUNTS)
    rows = {(row.run, row.category_id): (row.train_instances, round(row.ap, 6)) for row in points.itertuples()}
    assert rows == {("baseline", 1): (2, 20.0), ("baseline", 2): (10, 40.0), ("baseline", 3): (100, 50.0),
                    ("ncm_fc", 1): (2, 25.0), ("ncm_fc", 2): (10, 35.0), ("ncm_fc", 3): (100, 45.0)}
    means = bin_means(points, (4, 16, 64))  # categories 1, 2, 3 fall in bins 1, 2, 4 (bin 3: no val instance)
    ncm = means[means.run == "ncm_fc"]
    assert ncm.bin.tolist() == [1, 2, 4] and ncm.ap.tolist() == pytest.approx([25.0, 35.0, 45.0])
    assert ncm.lower.tolist() == [2, 4, 64] and ncm.upper.tolist() == [4, 16, 100]  # clipped to the counts


def copy_run(run, seed: int, category_ap: dict):
    """Another seed of ``run`` with the given per-category AP."""
    import dataclasses

    return dataclasses.replace(run, seed=seed, metrics={**run.metrics, "per_category": {"bbox": category_ap}})


def test_long_tail_figure_says_what_it_lacks(tmp_path):
    from harness.report.long_tail import long_tail_figure

    runs = long_tail_runs(tmp_path)
    train = {"lvis": tmp_path / "results" / "data" / "lvis" / "train.json"}
    drawn = long_tail_figure(runs, train, LONG_TAIL_RUNS)
    assert drawn.png.startswith(b"\x89PNG") and drawn.notes == []
    default = long_tail_figure(runs, train)  # baseline and bags: no bags run here
    assert default.png is None and "lvis/faster_r50/baseline, lvis/faster_r50/bags" in default.notes[-1]
    no_stats = long_tail_figure(runs, {}, LONG_TAIL_RUNS)
    assert no_stats.png is None and "--train-stats lvis=PATH" in no_stats.notes[0]
    old = copy_run(runs[1], seed=0, category_ap={})
    old.metrics.pop("per_category")
    stale = long_tail_figure([runs[0], old], train, LONG_TAIL_RUNS)
    assert stale.png is None and "lvis/faster_r50/ncm_fc/0: its metrics.json has no per-category AP" in stale.notes[0]
    untrained = write_json(tmp_path / "untrained.json", {"categories": [{"id": cid, "instance_count": 0}
                                                                       for cid in TRAIN_COUNTS]})
    empty = long_tail_figure(runs, {"lvis": untrained}, LONG_TAIL_RUNS)
    assert empty.png is None and empty.notes == ["lvis/faster_r50: no category has both val and train instances"]


def test_stage_passes_table_csvs_train_stats_and_long_tail_runs(tmp_path):
    files = make_report_files(tmp_path)
    results = make_results(tmp_path / "results")
    out = tmp_path / "index.html"
    parser = argparse.ArgumentParser()
    report_stage.add_arguments(parser)
    args = parser.parse_args([
        "--profile", str(REPO / "configs" / "profiles" / "default.yaml"), "--results", str(results),
        "--metrics", *map(str, metrics_files(results)), "--tables", *map(str, files["tables"].values()),
        "--table-csv", *map(str, files["table_csvs"].values()),
        "--train-stats", f"lvis={results / 'data' / 'lvis' / 'train.json'}",
        "--long-tail-runs", *("/".join(run) for run in LONG_TAIL_RUNS), "--out", str(out)])
    report_stage.run(args)
    page = out.read_text()
    assert '<figure id="long-tail">' in page and page.count('<svg class="paper-delta"') == len(TABLES)
    for bad, option in ((["--train-stats", "lvis"], "--train-stats"), (["--long-tail-runs", "lvis/bags"],
                                                                       "--long-tail-runs")):
        with pytest.raises(InputError) as err:
            report_stage.run(parser.parse_args([*sys_args(args), *bad]))
        assert err.value.source == option


def sys_args(args: argparse.Namespace) -> list[str]:
    """The required arguments of a parsed report command line."""
    return ["--profile", args.profile, "--results", args.results, "--out", args.out]


# --- the page in a real browser ---------------------------------------------------------------------


def chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess:
    """Run headless Chromium; its absence is a failure, never a skip."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: install the system package `chromium` (apt-get install chromium)")
    return subprocess.run([str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu",
                           f"--user-data-dir={user_data}", *args],
                          capture_output=True, text=True, timeout=120, check=True)


def test_browser_dom_has_every_table_and_figure(page_file):
    dom = chromium("--dump-dom", page_file.as_uri(), user_data=page_file.parent / "chromium").stdout
    for section_id in SECTION_IDS:
        assert f'<section id="{section_id}">' in dom
    for name in TABLES:
        assert re.search(rf'<section id="{name}"[^>]*>.*?<table class="paper-table" id="{name}-table">', dom, re.S)
    for figure_id, _caption in FIGURES:
        assert re.search(rf'<figure id="{figure_id}"><img src="data:image/png;base64,', dom)
    assert dom.count('<svg class="loss-chart"') == 1


# Clicks and typing in the page, as a user would (real DOM events in Chromium); each step's state of Table 1
# (row ids, "!" for a hidden row; the sorted header's aria-sort; the filter's count) is logged into the DOM.
INTERACTION = """<script>
(function () {
  var log = [], table = document.getElementById("table1-table");
  var headers = table.tHead.rows[0].cells, input = document.querySelector("#table1 input.table-filter");
  function state(step) {
    var rows = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return (row.hidden ? "!" : "") + row.cells[0].textContent; });
    var sorted = Array.prototype.filter.call(headers, function (th) { return th.hasAttribute("aria-sort"); });
    log.push({step: step, rows: rows, sorted: sorted.map(function (th) {
      return th.textContent + " " + th.getAttribute("aria-sort"); }),
      count: document.querySelector("#table1 .filter-count").textContent});
  }
  headers[2].click(); state("click mAP");
  headers[2].click(); state("click mAP again");
  headers[0].click(); state("click row");
  input.value = "ncm"; input.dispatchEvent(new Event("input", {bubbles: true})); state("type ncm");
  input.value = "fine TAIL"; input.dispatchEvent(new Event("input", {bubbles: true})); state("type two words");
  input.value = ""; input.dispatchEvent(new Event("input", {bubbles: true})); state("clear");
  var claims = document.querySelector("#claims input.table-filter");
  claims.value = "tail_improves"; claims.dispatchEvent(new Event("input", {bubbles: true}));
  var pre = document.createElement("pre");
  pre.id = "interaction-log";
  pre.textContent = JSON.stringify(log);
  document.body.appendChild(pre);
})();
</script>"""


def test_browser_sorts_by_a_clicked_header_and_filters_rows(page_file):
    """Clicking a header sorts Table 1 (numbers as numbers, "(10)" after "(3)", the empty "\u2014" last both
    ways), clicking again reverses it, and the filter box hides the rows without every word typed."""
    import html as html_module

    page = page_file.with_name("interactive.html")
    page.write_text(page_file.read_text().replace("</body>", INTERACTION + "</body>"), encoding="utf-8")
    dom = chromium("--dump-dom", page.as_uri(), user_data=page_file.parent / "chromium").stdout
    log = json.loads(html_module.unescape(re.search(r'<pre id="interaction-log">(.*?)</pre>', dom, re.S).group(1)))
    steps = {entry["step"]: entry for entry in log}
    assert steps["click mAP"]["rows"] == ["(1)", "(2)", "seesaw", "(10)", "(3)"]  # 22.24, 23.55, 23.67, 26.09, \u2014
    assert steps["click mAP"]["sorted"] == ["mAP ascending"]
    assert steps["click mAP again"]["rows"] == ["(10)", "seesaw", "(2)", "(1)", "(3)"]
    assert steps["click mAP again"]["sorted"] == ["mAP descending"]
    assert steps["click row"]["rows"] == ["(1)", "(2)", "(3)", "(10)", "seesaw"]
    assert steps["click row"]["sorted"] == ["row ascending"]
    assert steps["type ncm"]["rows"] == ["!(1)", "!(2)", "!(3)", "(10)", "!seesaw"]
    assert steps["type ncm"]["count"] == "1 of 5 rows"
    assert steps["type two words"]["rows"] == ["!(1)", "!(2)", "(3)", "!(10)", "!seesaw"]  # "Finetune tail"
    assert steps["clear"]["rows"] == ["(1)", "(2)", "(3)", "(10)", "seesaw"] and steps["clear"]["count"] == ""
    claim_rows = re.findall(r'<tr id="claim-([a-z0-9_]+)" class="claim [a-z-]+"( hidden="")?>', dom)
    assert claim_rows == [("tail_improves", ""), ("head_kept", ' hidden=""'), ("noise_level", ' hidden=""'),
                          ("x2_helps", ' hidden=""')]


def test_browser_screenshot(page_file):
    shot = page_file.parent / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,3000", "--hide-scrollbars", page_file.as_uri(),
             user_data=page_file.parent / "chromium")
    assert shot.is_file() and shot.stat().st_size > 20_000


def test_summary_prints_the_report_path_and_every_claim(tmp_path, capsys):
    import argparse
    import json as json_module

    from harness.errors import InputError
    from harness.stages import summary

    claims = tmp_path / "claims.json"
    claims.write_text(json_module.dumps({"summary": {"holds": 1, "does not hold": 0, "inconclusive": 1, "not run": 1},
                                         "results": [
        {"id": "a", "status": "holds", "explanation": "x 2 > 1"},
        {"id": "c", "status": "inconclusive", "kind": "release_artefact", "cause": "one seed too few",
         "explanation": "x 2 > 1 (slack +1.0, 95 % interval -0.5 to +2.0)"},
        {"id": "b", "status": "not run", "explanation": "not in the table: lvis/faster_r50 x2 AP"}]}))
    page = tmp_path / "index.html"
    with pytest.raises(InputError, match="does not exist"):
        summary.run(argparse.Namespace(claims=str(claims), report=str(page)))
    page.write_text("<html></html>")
    summary.run(argparse.Namespace(claims=str(claims), report=str(page)))
    out = capsys.readouterr().out
    assert str(page) in out and "1 hold, 0 do not hold, 1 inconclusive, 1 not run (of 3)" in out
    assert "holds          a: x 2 > 1" in out and "not run        b:" in out
    assert "inconclusive   c (release artefact): x 2 > 1 (slack +1.0, 95 % interval -0.5 to +2.0)" in out
    assert "                 cause: one seed too few" in out


def test_a_skipped_figure_is_named_with_the_runs_it_lacks(tmp_path):
    (tmp_path / "empty").mkdir()
    page = render_report(ReportInputs(profile=PROFILE, results_root=tmp_path / "empty", generated_at="now",
                                      skipped_figures=[("figure2", "lvis/faster_r50/bags")]))
    section = re.search(r'<section id="figures">.*?</section>', page, re.S).group(0)
    assert "Figure 2 not drawn: the profile&#39;s run table lacks lvis/faster_r50/bags" in section, section


def test_a_malformed_skipped_figure_is_an_input_error():
    from harness.stages.report import parse_skipped

    assert parse_skipped("figure3=lvis/faster_r50/rfs") == ("figure3", "lvis/faster_r50/rfs")
    with pytest.raises(InputError, match="--skipped-figure"):
        parse_skipped("figure3")


def test_figure_captions_do_not_repeat_the_label_the_page_puts_before_them():
    import yaml

    figures = yaml.safe_load((REPO / "configs" / "paper" / "figures.yaml").read_text())["figures"]
    assert figures and all(not spec["caption"].lower().startswith("figure") for spec in figures.values())
