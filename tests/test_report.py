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
from harness.report.tables import TABLE_CSS  # noqa: E402
from harness.stages import report as report_stage  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
PROFILE = {"profile": "tiny", "description": "A hand-made results tree.", "seeds": [0]}
SECTION_IDS = ("overview", "claims", "tables", "figures", "runs")
TABLES = ("table1", "table2")
FIGURES = (("figure1", "weight norms"), ("figure2", "the BAGS module, beta = 8"))
CLAIMS = (("tail_improves", "holds"), ("head_kept", "does not hold"), ("noise_level", "inconclusive"),
          ("x2_helps", "not run"))
# rule -> (jobs, seconds) from the benchmark files written below; longest first
WALL_TIMES = [("train", 1, "100.25"), ("predict", 2, "10.00"), ("synth", 2, "3.75"),
              ("posthoc", 1, "3.25"), ("figure1", 1, "0.75")]


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
                                                        "run": run_field("baseline")})
    write_benchmark(baseline / "benchmarks" / "train.tsv", 100.25)
    write_benchmark(baseline / "benchmarks" / "predict.tsv", 5.5)
    ncm = root / "runs" / "lvis" / "faster_r50" / "ncm_fc" / "seed0"
    write_json(ncm / "train" / "meta.json", meta("posthoc", "ncm_fc", ["k=1"]))
    write_json(ncm / "evaluate" / "metrics.json", {"AP": 0.2, "run": run_field("ncm_fc")})
    write_benchmark(ncm / "benchmarks" / "posthoc.tsv", 3.25)
    write_benchmark(ncm / "benchmarks" / "predict.tsv", 4.5)
    write_benchmark(root / "benchmarks" / "synth" / "lvis.tsv", 1.25)
    write_benchmark(root / "benchmarks" / "synth" / "coco.tsv", 2.5)
    write_benchmark(root / "benchmarks" / "figure1.tsv", 0.75)
    write_json(root / "stats" / "lvis" / "summary.json",
               {"num_categories": 40, "thresholds": [4, 16, 64], "categories_per_bin": [10, 12, 10, 8],
                "train": {"images": 314, "instances": 1366}, "val": {"images": 70, "instances": 288}})
    return root


def make_report_files(tmp: Path) -> dict:
    """Table fragments, a claims JSON and PNG figures, as the other stages would write them."""
    tables = {}
    for name in TABLES:
        tables[name] = tmp / "tables" / f"{name}.html"
        tables[name].parent.mkdir(parents=True, exist_ok=True)
        tables[name].write_text(f'<table class="paper-table" id="{name}"><caption>{name} caption &amp; more'
                                f"</caption><tbody><tr><td>{name} cell</td></tr></tbody></table>\n")
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
    return {"tables": tables, "claims_json": claims, "figures": figures}


def report_inputs(tmp: Path) -> ReportInputs:
    results = make_results(tmp / "results")
    return ReportInputs(profile=PROFILE, results_root=results, metrics=metrics_files(results),
                        **make_report_files(tmp), generated_at="2020-06-14 12:00:00 UTC", commit="def456")


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
    assert page.count(TABLE_CSS) == 1
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


@pytest.mark.parametrize("which", ["results", "table", "claims", "figure"])
def test_missing_explicit_file_is_an_input_error(tmp_path, which):
    inputs = report_inputs(tmp_path)
    missing = tmp_path / "missing.file"
    if which == "results":
        inputs.results_root = missing
    elif which == "table":
        inputs.tables["table1"] = missing
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
    assert "Figure 2 not drawn: the profile&#x27;s run table lacks lvis/faster_r50/bags" in section, section


def test_a_malformed_skipped_figure_is_an_input_error():
    from harness.stages.report import parse_skipped

    assert parse_skipped("figure3=lvis/faster_r50/rfs") == ("figure3", "lvis/faster_r50/rfs")
    with pytest.raises(InputError, match="--skipped-figure"):
        parse_skipped("figure3")
