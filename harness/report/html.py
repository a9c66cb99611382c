"""The report page: one self-contained HTML file (inline CSS, figures as data URIs, no external URL).

:func:`render_report` reads what the pipeline left under a results folder and the report stages'
outputs, and lays them out in five sections with stable ids:

``overview``  profile, generation time, commit, package versions (from a run's ``train/meta.json``),
              the data sets (``stats/<data set>/summary.json``) and wall time per pipeline stage
              (Snakemake benchmark files: ``runs/.../benchmarks/<rule>.tsv`` and
              ``benchmarks/<rule>[/...].tsv``, column ``s``).
``tables``    the ``<table>`` fragments of ``python -m harness tables``, each in ``<section id=NAME>``, with a
              chart of ours minus the paper's mAP per reproduced row from the table's CSV where given
              (:mod:`harness.report.paper_delta`); every table here and the claims table can be sorted by a
              clicked header and filtered by a text box (:mod:`harness.report.table_controls`).
``claims``    the claims JSON of ``python -m harness claims``: one row per claim with its verdict (holds,
              does not hold, inconclusive, not run), kind, slack with its 95 % interval (and the
              parts of an ``all_of``), the numbers, the explanation and the cause where one is given.
``figures``   the long-tail figure, per-category AP against train instances, drawn here from the runs'
              metrics files and the data sets' train statistics (:mod:`harness.report.long_tail`), then
              the PNG figures given, each a ``<figure id=ID>`` with its caption.
``runs``      one ``<details>`` per metrics file given (``--metrics``: each run's
              ``evaluate/metrics.json``, whose ``run`` field names the run): method, epochs, training time,
              key metrics and the training loss per epoch as an inline SVG, from the run's folder (the
              metrics file's parent's parent: ``train/meta.json``, ``train/log.jsonl``,
              ``benchmarks/*.tsv``). No other run folder is read.

Optional inputs that are absent (no claims JSON, no stats, no runs yet) show a visible "not available"
note; a file passed explicitly that does not exist (or is malformed) is an :class:`InputError`.
"""

import base64
import csv
import html
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from harness.errors import InputError
from harness.io import read_json
from harness.report.table_controls import TABLE_CONTROLS_CSS, TABLE_SCRIPT, table_block
from harness.report.tables import TABLE_CSS

STATUS_CLASSES = {"holds": "holds", "does not hold": "does-not-hold", "inconclusive": "inconclusive",
                  "not run": "not-run"}
KIND_LABELS = {"phenomenon": "phenomenon", "release_artefact": "release artefact"}
KEY_METRICS = ("AP", "AP1", "AP2", "AP3", "AP4", "ACC", "AP_mask")
NOT_APPLICABLE = -1.0  # evaluate's marker for a metric without data
ELEMENT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# table fragments that are not paper tables, by file stem
TABLE_TITLES = {"gains": "Gains over the baseline: run - baseline in AP points, mean over seeds "
                         "(95 % interval over resampled seeds x val images; green: above 0, red: below)"}
SECTIONS = (("overview", "Overview"), ("tables", "Tables"), ("claims", "Claims"),
            ("figures", "Figures"), ("runs", "Runs"))
LONG_TAIL_ID = "long-tail"  # the element id of the long-tail figure

PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 1.5em 3em; color: #222; line-height: 1.4; }
header { border-bottom: 2px solid #444; margin-bottom: 1em; }
nav a { margin-right: 1em; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table.plain { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
table.plain th { background: #f3f3f3; }
table.plain th, table.plain td { border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: top; text-align: left; }
table.plain td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.plain tr.total td { font-weight: bold; }
table.wall-time td:last-child { width: 240px; }
.bar { background: #4c78a8; height: 0.8em; min-width: 1px; }
.not-available { color: #b42318; font-style: italic; }
.badge { display: inline-block; padding: 0.1em 0.5em; border-radius: 0.8em; color: #fff; font-size: 0.85em;
         white-space: nowrap; }
.badge.holds { background: #1a7f37; } .badge.does-not-hold { background: #b42318; } .badge.not-run { background: #888; }
.badge.inconclusive { background: #b7791f; }
.dot { display: inline-block; width: 0.7em; height: 0.7em; border-radius: 50%; margin-right: 0.3em; }
.dot.holds { background: #1a7f37; } .dot.does-not-hold { background: #b42318; }
.dot.inconclusive { background: #b7791f; }
.kind { font-size: 0.85em; white-space: nowrap; } .kind.release-artefact { color: #6f42c1; font-weight: bold; }
.cause { color: #6f42c1; }
table.claims td.interval { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.claims ul.parts { list-style: none; padding-left: 0; font-size: 0.85em; }
table.claims { width: 100%; }
table.claims .claim-id { font-family: monospace; font-size: 0.85em; color: #555; }
table.claims ul { margin: 0; padding-left: 1.1em; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
details.run { border: 1px solid #ddd; border-radius: 4px; margin: 0.3em 0; padding: 0.3em 0.6em; }
details.run summary { cursor: pointer; } details.run summary .metric { color: #555; font-size: 0.9em; }
details.run .run-body { display: flex; flex-wrap: wrap; gap: 0 1.5em; align-items: flex-start; }
.scroll { overflow-x: auto; }
svg.loss-chart { background: #fafafa; border: 1px solid #ddd; }
.paper-delta-block { margin: 0.3em 0 1.5em; } svg.paper-delta { background: #fafafa; border: 1px solid #ddd; }
.muted { color: #666; font-size: 0.9em; }
"""


@dataclass
class ReportInputs:
    """Everything the page shows; see :func:`render_report`.

    ``tables`` maps a table name (``table1``, also the section id) to its HTML fragment and ``table_csvs``
    a table name to its CSV (the ours-vs-paper chart); ``figures`` are (id, caption, PNG path);
    ``train_stats`` maps a data set to its train annotations or statistics and ``long_tail_runs`` names
    the (data set, model, run id) of the long-tail figure (None: :data:`harness.report.long_tail.DEFAULT_RUNS`);
    ``generated_at`` and ``commit`` are injected so that tests are reproducible.
    """

    profile: dict
    results_root: Path
    metrics: list[Path] = field(default_factory=list)  # the runs' evaluate/metrics.json files
    tables: dict[str, Path] = field(default_factory=dict)
    table_csvs: dict[str, Path] = field(default_factory=dict)
    claims_json: Path | None = None
    figures: list[tuple[str, str, Path]] = field(default_factory=list)
    skipped_figures: list[tuple[str, str]] = field(default_factory=list)  # (id, the runs it lacks)
    train_stats: dict[str, Path] = field(default_factory=dict)  # data set -> train file (long-tail figure)
    long_tail_runs: list[tuple[str, str, str]] | None = None
    generated_at: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    commit: str | None = None


@dataclass
class RunFolder:
    """One seed of a run (identity from its metrics file), with what the report reads from its folder
    (None where the file is absent)."""

    dataset: str
    model: str
    run: str
    seed: int
    path: Path
    meta: dict | None
    log: list[dict] | None
    metrics: dict | None
    benchmarks: dict[str, float]

    @property
    def label(self) -> str:
        return f"{self.dataset} / {self.model} / {self.run} / seed {self.seed}"


@dataclass
class StageTime:
    """Wall time of one pipeline rule, summed over its jobs (benchmark files)."""

    rule: str
    jobs: int
    seconds: float


def _e(value: object) -> str:
    """``value`` as text, escaped for HTML (quotes included)."""
    return html.escape(str(value))


def _note(text: str) -> str:
    """A visible "not available" note."""
    return f'<p class="not-available">not available: {_e(text)}</p>'


# --------------------------------------------------------------------------------------------------
# Reading the inputs


def read_benchmark_seconds(path: Path) -> float:
    """Wall seconds of one Snakemake benchmark file: column ``s``, summed over its rows (repeats)."""
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(path, None, f"cannot read benchmark file: {err}") from None
    if not rows or "s" not in rows[0]:
        raise InputError(path, "s", "a benchmark file has a header with column 's' and at least one row")
    try:
        return sum(float(row["s"]) for row in rows)
    except (TypeError, ValueError):
        raise InputError(path, "s", "wall seconds are not a number") from None


def read_training_log(path: Path) -> list[dict]:
    """The epochs of a ``log.jsonl`` (one JSON object per line; blank lines skipped)."""
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(path, f"line {number}", f"malformed JSON: {err.msg}") from None
        if not isinstance(record, dict):
            raise InputError(path, f"line {number}", "expected one JSON object per line")
        records.append(record)
    return records


def _optional_json(path: Path, what: str) -> dict | None:
    """The JSON object in ``path``, or None when the file does not exist."""
    if not path.is_file():
        return None
    payload = read_json(path, what)
    if not isinstance(payload, dict):
        raise InputError(path, None, f"expected a JSON object, got {type(payload).__name__}")
    return payload


def read_runs(metrics_files: list[Path]) -> list[RunFolder]:
    """The runs of the given metrics files, sorted by data set, model, run, seed: identity from each file's
    ``run`` field, the folder is the file's parent's parent (``<run folder>/evaluate/metrics.json``)."""
    from harness.runs import RunIdentity

    runs, seen = [], {}
    for path in map(Path, metrics_files):
        metrics = _optional_json(path, "metrics file")
        if metrics is None:
            raise InputError(path, None, "metrics file does not exist (python -m harness evaluate)")
        run = RunIdentity.from_json(metrics.get("run"), path, writer="`python -m harness evaluate` with --run")
        if run in seen:
            raise InputError(path, "run", f"names run {run}, as {seen[run]} does: each run is shown once")
        seen[run] = path
        runs.append(_run_folder(run, path, metrics))
    return sorted(runs, key=lambda r: (r.dataset, r.model, r.run, r.seed))


def _run_folder(run, metrics_path: Path, metrics: dict) -> RunFolder:
    """A run's training meta, log and benchmark times from its folder (the metrics file's parent's parent).
    A training meta that records another run is an :class:`InputError`: the folder is not the run's."""
    from harness.runs import RunIdentity

    folder = metrics_path.parent.parent
    meta_path = folder / "train" / "meta.json"
    meta = _optional_json(meta_path, "run meta file")
    trained = RunIdentity.from_json(meta["run"], meta_path) if meta and meta.get("run") is not None else run
    if trained != run:
        raise InputError(meta_path, "run", f"records run {trained}, but {metrics_path} beside it is run {run}")
    log_path = folder / "train" / "log.jsonl"
    benchmarks = {path.stem: read_benchmark_seconds(path) for path in sorted((folder / "benchmarks").glob("*.tsv"))}
    return RunFolder(run.dataset, run.model, run.run_id, run.seed, folder, meta,
                     read_training_log(log_path) if log_path.is_file() else None, metrics, benchmarks)


def stage_wall_times(results_root: Path, runs: list[RunFolder]) -> list[StageTime]:
    """Wall time per rule, longest first: run benchmarks by file stem, data-stage ones by first path part."""
    totals: dict[str, list[float]] = {}
    for run in runs:
        for rule, seconds in run.benchmarks.items():
            totals.setdefault(rule, []).append(seconds)
    data_root = results_root / "benchmarks"
    for path in sorted(data_root.rglob("*.tsv")):
        relative = path.relative_to(data_root)
        rule = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        totals.setdefault(rule, []).append(read_benchmark_seconds(path))
    times = [StageTime(rule, len(values), sum(values)) for rule, values in totals.items()]
    return sorted(times, key=lambda t: (-t.seconds, t.rule))


def read_dataset_stats(results_root: Path) -> list[tuple[str, dict]]:
    """(data set, summary) of every ``stats/<data set>/summary.json``, by name."""
    found = []
    for path in sorted((results_root / "stats").glob("*/summary.json")):
        found.append((path.parent.name, _optional_json(path, "data set summary")))
    return found


def read_claims(path: Path) -> dict:
    """The claims JSON, checked: a ``results`` list whose entries have an id, a text and a known status."""
    payload = read_json(path, "claims JSON")
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        raise InputError(path, "results", "expected a list of claim results (python -m harness claims)")
    for i, result in enumerate(results):
        if not isinstance(result, dict) or not all(isinstance(result.get(k), str) for k in ("id", "text", "status")):
            raise InputError(path, f"results[{i}]", "a claim result needs string id, text and status")
        if result["status"] not in STATUS_CLASSES:
            raise InputError(path, f"results[{i}].status", f"unknown status; known: {list(STATUS_CLASSES)}")
    return payload


def claims_summary(results: list[dict]) -> dict[str, int]:
    """Number of claims per status, every status present (0 when none)."""
    return {status: sum(result["status"] == status for result in results) for status in STATUS_CLASSES}


def _check_explicit_files(inputs: ReportInputs) -> None:
    """Raise :class:`InputError` for a missing results folder, table fragment, claims file or figure."""
    if not Path(inputs.results_root).is_dir():
        raise InputError(inputs.results_root, None, "results folder does not exist")
    for name, path in inputs.tables.items():
        _check_id(name, "table name")
        if not Path(path).is_file():
            raise InputError(path, None, f"table fragment of {name} does not exist (python -m harness tables)")
    for name, path in inputs.table_csvs.items():
        if name not in inputs.tables:
            raise InputError(path, None, f"a table CSV without its fragment: no table {name!r} given (--tables)")
        if not Path(path).is_file():
            raise InputError(path, None, f"table CSV of {name} does not exist (python -m harness tables)")
    for dataset, path in inputs.train_stats.items():
        if not Path(path).is_file():
            raise InputError(path, None, f"train statistics of {dataset} do not exist")
    if inputs.claims_json is not None and not Path(inputs.claims_json).is_file():
        raise InputError(inputs.claims_json, None, "claims JSON does not exist (python -m harness claims)")
    ids = [*inputs.tables, *(figure[0] for figure in inputs.figures), LONG_TAIL_ID]
    repeated = sorted({i for i in ids if ids.count(i) > 1} | {i for i in ids if i in dict(SECTIONS)})
    if repeated:
        raise InputError("tables and figures", repeated[0], "ids must be unique and differ from the section ids")
    for figure_id, _caption, path in inputs.figures:
        _check_id(figure_id, "figure id")
        if not Path(path).is_file():
            raise InputError(path, None, f"figure {figure_id} does not exist")


def _check_id(value: str, what: str) -> None:
    """An id used as an HTML element id (and anchor) must be a plain word."""
    if not ELEMENT_ID.match(value):
        raise InputError(what, value, "must start with a letter and hold only letters, digits, '_' and '-'")


# --------------------------------------------------------------------------------------------------
# The page


def render_report(inputs: ReportInputs) -> str:
    """The whole report page as one self-contained HTML document."""
    _check_explicit_files(inputs)
    from harness.report.long_tail import long_tail_figure

    runs = read_runs(inputs.metrics)
    long_tail = long_tail_figure(runs, inputs.train_stats, inputs.long_tail_runs)
    body = [_overview(inputs, runs), _tables_section(inputs.tables, inputs.table_csvs),
            _claims_section(inputs.claims_json),
            _figures_section(inputs.figures, inputs.skipped_figures, long_tail), _runs_section(runs)]
    name = inputs.profile.get("profile", "unnamed profile")
    title = f"BAGS reproduction report: profile {name}"
    nav = " ".join(f'<a href="#{sid}">{_e(heading)}</a>' for sid, heading in SECTIONS)
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f"<style>{PAGE_CSS}{TABLE_CSS}{TABLE_CONTROLS_CSS}</style>", "</head>",
        "<body>", f"<header><h1>{_e(title)}</h1><nav>{nav}</nav></header>", *body, f"<script>{TABLE_SCRIPT}</script>",
        "</body>", "</html>", ""])


def _section(section_id: str, heading: str, parts: list[str]) -> str:
    """``<section id=...>`` with an ``<h2>`` heading and the given HTML parts."""
    return "\n".join([f'<section id="{section_id}">', f"<h2>{_e(heading)}</h2>", *parts, "</section>"])


def _plain_table(headers: list[str] | None, rows: list[list[str]], numeric: frozenset[int] = frozenset(),
                 row_classes: list[str] | None = None, table_class: str = "plain") -> str:
    """A ``<table>``; ``rows`` hold HTML (already escaped), ``numeric`` column indexes align right.

    Without ``headers`` the first column is a header column (a key-value table).
    """
    head = "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""
    lines = [f'<table class="{table_class}">{head}<tbody>']
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f"<th>{cell}</th>" if j == 0 and not headers
                        else f'<td class="num">{cell}</td>' if j in numeric else f"<td>{cell}</td>"
                        for j, cell in enumerate(row))
        lines.append(f"<tr{cls}>{cells}</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


# ---- overview --------------------------------------------------------------------------------------


def _overview(inputs: ReportInputs, runs: list[RunFolder]) -> str:
    """Profile, provenance, environment, data sets and wall time per stage."""
    profile = inputs.profile
    facts = [["profile", _e(profile.get("profile", "not available"))],
             ["description", _e(" ".join(str(profile.get("description", "not available")).split()))],
             ["seeds", _e(", ".join(map(str, profile.get("seeds", []))) or "not available")],
             ["generated", _e(inputs.generated_at)],
             ["git commit", _e(inputs.commit or "not available")],
             ["run folders", _e(len(runs))]]
    commits = sorted({str(run.meta["git_commit"]) for run in runs if run.meta and run.meta.get("git_commit")})
    if commits:
        facts.append(["runs' git commits", "<br>".join(_e(c) for c in commits)])
    parts = [_plain_table(None, facts), "<h3>Environment</h3>", _environment(runs),
             "<h3>Data sets</h3>", _datasets_table(read_dataset_stats(Path(inputs.results_root))),
             '<h3 id="wall-time">Wall time per stage</h3>',
             _wall_time_table(stage_wall_times(Path(inputs.results_root), runs))]
    return _section("overview", "Overview", parts)


def _environment(runs: list[RunFolder]) -> str:
    """Python, platform, device and package versions of the first run whose meta.json lists packages."""
    source = next((run for run in runs if run.meta and isinstance(run.meta.get("packages"), dict)), None)
    if source is None:
        return _note("no run has a train/meta.json with package versions yet")
    meta = source.meta
    rows = [[_e(key), _e(meta.get(key, "not recorded"))] for key in ("python", "platform", "device")]
    rows += [[_e(name), _e(version or "not installed")] for name, version in meta["packages"].items()]
    return (f'<p class="muted">from {_e(source.label)} (train/meta.json)</p>'
            + _plain_table(["component", "version"], rows))


def _datasets_table(stats: list[tuple[str, dict]]) -> str:
    """One row per data set summary: sizes, bin thresholds and categories per bin."""
    if not stats:
        return _note("no stats/<data set>/summary.json (python -m harness dataset-stats)")
    headers = ["data set", "categories", "train images", "train instances", "val images", "val instances",
               "bin thresholds", "categories per bin"]
    rows = []
    for name, summary in stats:
        train, val = summary.get("train", {}), summary.get("val", {})
        values = [name, summary.get("num_categories", "?"), train.get("images", "?"), train.get("instances", "?"),
                  val.get("images", "?"), val.get("instances", "?"),
                  ", ".join(map(str, summary.get("thresholds", []))),
                  " / ".join(map(str, summary.get("categories_per_bin", [])))]
        rows.append([_e(value) for value in values])
    return _plain_table(headers, rows, numeric=frozenset({1, 2, 3, 4, 5}))


def _hms(seconds: float) -> str:
    """``h:mm:ss`` of a number of seconds."""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _wall_time_table(times: list[StageTime]) -> str:
    """Rules, longest first, with their share of the total as a bar; the total last."""
    if not times:
        return _note("no Snakemake benchmark files under benchmarks/ or the runs' benchmarks/")
    total = sum(t.seconds for t in times)
    rows, classes = [], []
    for t in times:
        share = 100.0 * t.seconds / total if total > 0 else 0.0
        bar = f'<div class="bar" style="width:{share:.1f}%"></div>'
        rows.append([_e(t.rule), _e(t.jobs), f"{t.seconds:.2f}", _hms(t.seconds), f"{share:.1f}%", bar])
        classes.append("stage")
    rows.append(["total", _e(sum(t.jobs for t in times)), f"{total:.2f}", _hms(total), "100.0%", ""])
    classes.append("total")
    table = _plain_table(["stage (rule)", "jobs", "seconds", "h:m:s", "share", ""], rows,
                         numeric=frozenset({1, 2, 3, 4}), row_classes=classes, table_class="plain wall-time")
    return table + ('<p class="muted">Sum of column <code>s</code> (wall seconds) of the Snakemake benchmark files; '
                    "jobs that ran in parallel each count in full.</p>")


# ---- claims ----------------------------------------------------------------------------------------


def _claims_section(claims_json: Path | None) -> str:
    """Summary badges and one row per claim; a note without a claims JSON."""
    if claims_json is None:
        return _section("claims", "Claims", [_note("no claims JSON given (python -m harness claims)")])
    payload = read_claims(Path(claims_json))
    results = payload["results"]
    counts = claims_summary(results)
    badges = " ".join(f'<span class="badge {STATUS_CLASSES[s]}">{_e(s)}: {n}</span>' for s, n in counts.items())
    against = _e(payload.get("tidy", "")) + (f" and {_e(payload['bootstrap'])}" if payload.get("bootstrap") else "")
    checked = f'<p class="muted">{_e(payload.get("claims", ""))} checked against {against}</p>'
    rows = [_claim_row(result) for result in results]
    headers = ["status", "claim", "kind", "source", "slack [95 % interval]", "our numbers", "paper's numbers",
               "explanation"]
    head = "".join(f"<th>{h}</th>" for h in headers)
    table = table_block("\n".join([f'<table class="plain claims"><thead><tr>{head}</tr></thead><tbody>', *rows,
                                   "</tbody></table>"]), "the claims", scroll=False)
    summary = f'<p class="claims-summary">{badges} <span class="muted">(of {len(results)} claims)</span></p>'
    return _section("claims", "Claims", [summary, checked if payload.get("tidy") else "", _claims_legend(results),
                                         table])


def _claims_legend(results: list[dict]) -> str:
    """How verdicts are reached, and the interval methods used (with how many claims each)."""
    methods: dict[str, int] = {}
    for result in results:
        if result.get("method"):
            methods[result["method"]] = methods.get(result["method"], 0) + 1
    used = "; ".join(f"{_e(method)} ({n} claims)" for method, n in methods.items())
    return ('<p class="muted">Slack: how far a claim is from failing (&gt; 0 holds), in percent points '
            "(correlations as they are). Holds when the slack and its 95 % interval over resampled seeds "
            "(and paired val-image bootstrap replicates where given) are above 0, does not hold when both "
            "are at most 0, otherwise inconclusive. A release artefact is a number the authors' release "
            "produced through a defect, checked on our emulation of the release."
            + (f" Intervals: {used}." if used else "") + "</p>")


def _claim_row(result: dict) -> str:
    """One claim: status badge, text and id, source, our and the paper's numbers, explanation."""
    status = result["status"]
    cls = STATUS_CLASSES[status]
    ours = _number_list([(label, value) for label, value in result.get("numbers") or []])
    paper = _number_list(list((result.get("paper") or {}).items()))
    raw_explanation = str(result.get("explanation", ""))
    explanation = _e(raw_explanation)
    unexplained = [str(ref) for ref in result.get("missing") or [] if str(ref) not in raw_explanation]
    if unexplained:
        explanation += f'<br><span class="muted">missing: {_e(", ".join(unexplained))}</span>'
    if result.get("cause"):
        explanation += f'<br><span class="cause">cause: {_e(result["cause"])}</span>'
    kind = str(result.get("kind") or "")
    kind_cell = f'<span class="kind {_e(kind.replace("_", "-"))}">{_e(KIND_LABELS.get(kind, kind))}</span>' if kind \
        else "&mdash;"
    return (f'<tr id="claim-{_e(result["id"])}" class="claim {cls}">'
            f'<td><span class="badge {cls}">{_e(status)}</span></td>'
            f'<td>{_e(result["text"])}<br><span class="claim-id">{_e(result["id"])}</span></td>'
            f'<td>{kind_cell}</td><td>{_e(result.get("source", ""))}</td>'
            f'<td class="interval">{_interval_cell(result)}</td>'
            f'<td>{ours}</td><td>{paper}</td><td>{explanation}</td></tr>')


def _slack_text(entry: dict) -> str:
    """``+4.00 [+3.00, +5.00]``; the interval is left out when it is the point itself."""
    slack, interval = entry.get("slack"), entry.get("interval")
    if not isinstance(slack, (int, float)):
        return ""
    text = f"{slack:+.2f}"
    if isinstance(interval, list) and len(interval) == 2 and interval[0] != interval[1]:
        text += f" [{interval[0]:+.2f}, {interval[1]:+.2f}]"
    if isinstance(entry.get("tolerance"), (int, float)):
        text += f" (tolerance = seed noise {entry['tolerance']:.2f})"
    return text


def _interval_cell(result: dict) -> str:
    """The claim's slack and interval; for an all_of, one line per part with its verdict as a dot."""
    text = _slack_text(result)
    if not text:
        return "&mdash;"
    lines = [_e(text)]
    parts = [part for part in result.get("parts") or [] if isinstance(part, dict)]
    if parts:
        items = "".join(f'<li><span class="dot {STATUS_CLASSES.get(part.get("status"), "not-run")}" '
                        f'title="{_e(part.get("status", ""))}"></span>{_e(part.get("type", ""))} '
                        f"{_e(_slack_text(part))}</li>" for part in parts)
        lines.append(f'<ul class="parts">{items}</ul>')
    return "".join(lines)


def _number_list(pairs: list[tuple]) -> str:
    """``label: 12.34`` lines (numbers with 2 decimals; other values as they are)."""
    if not pairs:
        return "&mdash;"
    items = []
    for label, value in pairs:
        shown = f"{value:.2f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        items.append(f"<li>{_e(label)}: {_e(shown)}</li>")
    return f"<ul>{''.join(items)}</ul>"


# ---- tables and figures ----------------------------------------------------------------------------


def _tables_section(tables: dict[str, Path], csvs: dict[str, Path] | None = None) -> str:
    """Each table fragment in its own ``<section id=NAME>``, in the given order, with a filter box and
    sortable headers, and the ours-vs-paper chart of its CSV where one is given."""
    if not tables:
        return _section("tables", "Tables", [_note("no table fragments given (python -m harness tables)")])
    from harness.report.paper_delta import METRIC, delta_chart, read_deltas

    parts = []
    for name, path in tables.items():
        fragment = _rename_table_id(Path(path).read_text(), name)
        chart = ""
        if name in (csvs or {}):
            chart = (f'<div class="paper-delta-block"><p class="muted">{_e(_pretty(name))}: ours &minus; paper, '
                     f"{_e(METRIC)} of each reproduced row (percent points; whisker: &plusmn; std over our seeds)"
                     f"</p>{delta_chart(read_deltas(csvs[name]), _pretty(name))}</div>")
        parts.append(f'<section id="{_e(name)}" class="paper-table-section">\n'
                     f"<h3>{_e(_pretty(name))}</h3>\n{table_block(fragment, _pretty(name))}{chart}</section>")
    legend = ('<p class="muted">Each cell: ours in percent (mean &plusmn; sample std over n seeds), the paper\'s '
              'value, and ours &minus; paper (green: at least the paper\'s, red: below).</p>')
    return _section("tables", "Tables", [legend, *parts])


def _rename_table_id(fragment: str, name: str) -> str:
    """The fragment's ``<table id=NAME>`` becomes ``NAME-table``: the wrapping section owns the id ``NAME``."""
    return re.sub(rf'(<table\b[^>]*\bid=")({re.escape(name)})(")', r"\1\2-table\3", fragment, count=1)


def _pretty(name: str) -> str:
    """``table1`` -> ``Table 1``, ``figure2`` -> ``Figure 2``, ``gains`` -> its title; other names unchanged."""
    if name in TABLE_TITLES:
        return TABLE_TITLES[name]
    match = re.match(r"^(table|figure)(\d+)$", name)
    return f"{match.group(1).capitalize()} {match.group(2)}" if match else name


def _figures_section(figures: list[tuple[str, str, Path]], skipped: list[tuple[str, str]] = (),
                     long_tail=None) -> str:
    """The long-tail figure (or why it is not drawn), then each PNG as a ``<figure id=ID>`` with the image
    inline (data URI) and its caption; a note for each figure not drawn because the profile lacks its
    runs."""
    parts = [_long_tail_part(long_tail)] if long_tail is not None else []
    parts += [_note(f"{_pretty(figure_id)} not drawn: the profile's run table lacks {missing}")
              for figure_id, missing in skipped]
    if not figures:
        return _section("figures", "Figures", [*parts, _note("no figures given")])
    for figure_id, caption, path in figures:
        data = Path(path).read_bytes()
        if not data.startswith(PNG_SIGNATURE):
            raise InputError(path, None, f"figure {figure_id} is not a PNG file")
        label = f"{_pretty(figure_id)}: {caption}" if caption else _pretty(figure_id)
        parts.append(_figure(figure_id, data, label))
    return _section("figures", "Figures", parts)


def _figure(figure_id: str, png: bytes, label: str) -> str:
    """A ``<figure>`` with the PNG inline as a data URI and ``label`` as alt text and caption."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (f'<figure id="{_e(figure_id)}"><img src="{uri}" alt="{_e(label)}">'
            f"<figcaption>{_e(label)}</figcaption></figure>")


def _long_tail_part(long_tail) -> str:
    """The long-tail figure with its notes (runs or data sets left out), or a note saying why it is not
    drawn (a :class:`harness.report.long_tail.LongTailFigure`)."""
    if long_tail.png is None:
        return _note("long-tail figure not drawn: " + "; ".join(long_tail.notes))
    notes = "".join(f'<p class="muted long-tail-note">left out: {_e(note)}</p>' for note in long_tail.notes)
    return _figure(LONG_TAIL_ID, long_tail.png, f"Long tail: {long_tail.caption}") + notes


# ---- runs ------------------------------------------------------------------------------------------


def _runs_section(runs: list[RunFolder]) -> str:
    """The runs grouped by data set and model, one ``<details>`` each."""
    if not runs:
        return _section("runs", "Runs", [_note("no runs given (their evaluate/metrics.json files, --metrics)")])
    parts, current = [], None
    for run in runs:
        if (run.dataset, run.model) != current:
            current = (run.dataset, run.model)
            count = sum((r.dataset, r.model) == current for r in runs)
            parts.append(f'<h3>{_e(run.dataset)} / {_e(run.model)} '
                         f'<span class="muted">({count} run folders)</span></h3>')
        parts.append(_run_details(run))
    return _section("runs", "Runs", parts)


def _percent(metrics: dict | None, key: str) -> str | None:
    """``12.34`` for a metric stored as a fraction; "n/a" when not applicable; None when absent."""
    value = (metrics or {}).get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return "n/a" if value == NOT_APPLICABLE or not math.isfinite(value) else f"{100.0 * value:.2f}"


def _method_text(meta: dict | None) -> str:
    """``bags (groups=..., beta=n)`` from the meta's settings; "unknown" without meta."""
    settings = (meta or {}).get("settings") or {}
    method = settings.get("method") or "unknown"
    options = settings.get("option") or []
    options = [options] if isinstance(options, str) else options
    return f"{method} ({', '.join(map(str, options))})" if options else str(method)


def _run_details(run: RunFolder) -> str:
    """A ``<details>``: the summary line names the run and its AP; the body lists the rest."""
    ap = _percent(run.metrics, "AP")
    summary = (f"<summary><strong>{_e(run.label)}</strong> &middot; {_e(_method_text(run.meta))}"
               + (f' &middot; <span class="metric">AP {_e(ap)}</span>' if ap else "") + "</summary>")
    run_id = f"run-{run.dataset}-{run.model}-{run.run}-seed{run.seed}"
    return "\n".join([f'<details class="run" id="{_e(run_id)}">', summary, '<div class="run-body">',
                      _run_facts(run), f"<div>{_run_metrics(run.metrics)}{_run_chart(run)}</div>",
                      "</div>", "</details>"])


def _run_facts(run: RunFolder) -> str:
    """Stage, method, epochs, training time (meta's train_seconds, else wall_time_s), job times."""
    meta = run.meta or {}
    epochs = len(run.log) if run.log else meta.get("epochs")
    seconds = meta.get("train_seconds", meta.get("wall_time_s"))
    jobs = ", ".join(f"{rule} {job_seconds:.1f} s" for rule, job_seconds in sorted(run.benchmarks.items()))
    rows = [["stage", _e(meta.get("stage", "no train/meta.json"))],
            ["method and options", _e(_method_text(run.meta))],
            ["epochs", _e(epochs if epochs is not None else "n/a")],
            ["train seconds", _e(f"{seconds:.1f}" if isinstance(seconds, (int, float)) else "n/a")],
            ["job wall times", _e(jobs or "no benchmark files")],
            ["folder", f"<code>{_e(run.path)}</code>"]]
    return _plain_table(None, rows)


def _run_metrics(metrics: dict | None) -> str:
    """The key metrics present in metrics.json, in percent."""
    if metrics is None:
        return _note("not evaluated (no evaluate/metrics.json)")
    shown = [(key, _percent(metrics, key)) for key in KEY_METRICS]
    shown = [(key, value) for key, value in shown if value is not None]
    if not shown:
        return _note("none of the key metrics in evaluate/metrics.json")
    headers = [key for key, _ in shown]
    table = _plain_table(headers, [[_e(value) for _, value in shown]], numeric=frozenset(range(len(shown))))
    return table + '<p class="muted">percent; n/a: no data for this metric</p>'


def total_loss(record: dict) -> float | None:
    """An epoch's total loss: ``loss``, else the sum of its loss terms (retrain logs); None if none."""
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    if number(record.get("loss")):
        return float(record["loss"])
    terms = [value for key, value in record.items() if _is_loss_term(key) and number(value)]
    return float(sum(terms)) if terms else None


def _is_loss_term(key: str) -> bool:
    """``loss_cls_g0`` or a cascade stage's ``s1.loss_cls_g0``: the last dotted part starts with ``loss``."""
    return key.rsplit(".", 1)[-1].startswith("loss")


def _run_chart(run: RunFolder) -> str:
    """The loss chart, or why there is none (post-hoc runs have no training log)."""
    if run.log is None:
        stage = (run.meta or {}).get("stage")
        reason = " (post-hoc method: the model was not trained)" if stage == "posthoc" else ""
        return f'<p class="muted no-log">no training log{_e(reason)}</p>'
    points = [(record.get("epoch", i + 1), total_loss(record)) for i, record in enumerate(run.log)]
    points = [(float(epoch), loss) for epoch, loss in points if loss is not None and isinstance(epoch, (int, float))]
    if not points:
        return '<p class="muted no-log">training log without loss values</p>'
    return loss_chart_svg(points)


def loss_chart_svg(points: list[tuple[float, float]], width: int = 360, height: int = 150) -> str:
    """An inline SVG line chart of (epoch, total loss), with min/max labels on both axes."""
    left, right, top, bottom = 52, 10, 18, 26
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1e-9)
    y0, y1 = min(ys), max(max(ys), min(ys) + 1e-9)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    base = height - bottom
    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2"/>' for x, y in points) if len(points) <= 40 else ""
    labels = [(left, 12, "start", "total loss per epoch"),
              (left - 4, sy(y1) + 4, "end", f"{max(ys):.3g}"), (left - 4, sy(y0) + 4, "end", f"{y0:.3g}"),
              (sx(x0), base + 14, "middle", f"{x0:g}"), (sx(x1), base + 14, "middle", f"{max(xs):g}"),
              ((left + width - right) / 2, height - 2, "middle", "epoch")]
    texts = "".join(f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="{anchor}">{_e(text)}</text>'
                    for x, y, anchor, text in labels)
    return (f'<svg class="loss-chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="total training loss per epoch"><title>total loss per epoch</title>{texts}'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#999"/>'
            f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#999"/>'
            f'<polyline points="{line}" fill="none" stroke="#4c78a8" stroke-width="1.5"/>'
            f'<g fill="#4c78a8">{dots}</g></svg>')
