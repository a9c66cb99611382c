"""The report page: one self-contained HTML file (inline CSS, figures as data URIs, no external URL).

:func:`render_report` reads what the pipeline left under a results folder and the report stages'
outputs and hands plain data (lists, dicts, strings) to the jinja2 templates of
``harness/report/templates/`` (``page.html.j2`` and one template per section, autoescaped; fragments that
already are HTML, the table fragments and the SVG charts, go in as ``Markup``). Five sections with stable
ids:

``overview``  profile, generation time, commit, package versions (from a run's ``train/meta.json``),
              the data sets (``stats/<data set>/summary.json``) and wall time per pipeline stage
              (Snakemake benchmark files: ``runs/.../benchmarks/<rule>.tsv`` and
              ``benchmarks/<rule>[/...].tsv``, column ``s``).
``tables``    the ``<table>`` fragments of ``python -m harness tables``, each in ``<section id=NAME>``, with a
              chart of ours minus the paper's mAP per reproduced row from the table's CSV where given
              (:mod:`harness.report.paper_delta`); every table here and the claims table can be sorted by a
              clicked header and filtered by a text box (``templates/table_controls.js``).
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
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from markupsafe import Markup

from harness.errors import InputError
from harness.report.errors import FIGURE_ID as ERROR_ANALYSIS_ID
from harness.report.errors import error_analysis_part
from harness.io import read_json

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
# the page's templates (harness/report/templates): page.html.j2 includes one template per section, named by
# its id; every value they print is escaped unless it is Markup (fragments that already are HTML)
TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("harness.report", "templates"),
                               autoescape=jinja2.select_autoescape(("html", "j2"), default=True),
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)

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
    ids = [*inputs.tables, *(figure[0] for figure in inputs.figures), LONG_TAIL_ID, ERROR_ANALYSIS_ID]
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
# The page: the data each section template shows (plain values; markup only in the templates)


def render_report(inputs: ReportInputs) -> str:
    """The whole report page as one self-contained HTML document."""
    _check_explicit_files(inputs)
    from harness.report.long_tail import long_tail_figure
    from harness.report.paper_delta import METRIC

    runs = read_runs(inputs.metrics)
    long_tail = long_tail_figure(runs, inputs.train_stats, inputs.long_tail_runs)
    errors = Markup(error_analysis_part(runs, inputs.long_tail_runs))  # why tail AP is low, per bin
    name = inputs.profile.get("profile", "unnamed profile")
    return TEMPLATES.get_template("page.html.j2").render(
        title=f"BAGS reproduction report: profile {name}", sections=SECTIONS, overview=_overview(inputs, runs),
        tables=_tables(inputs.tables, inputs.table_csvs), delta_metric=METRIC, claims=_claims(inputs.claims_json),
        figures=_figures(inputs.figures, inputs.skipped_figures, long_tail, [errors]), runs=_run_groups(runs))


# ---- overview --------------------------------------------------------------------------------------


def _overview(inputs: ReportInputs, runs: list[RunFolder]) -> dict:
    """Profile, provenance, environment, data sets and wall time per stage."""
    profile = inputs.profile
    facts = [("profile", profile.get("profile", "not available")),
             ("description", " ".join(str(profile.get("description", "not available")).split())),
             ("seeds", ", ".join(map(str, profile.get("seeds", []))) or "not available"),
             ("generated", inputs.generated_at), ("git commit", inputs.commit or "not available"),
             ("run folders", len(runs))]
    commits = sorted({str(run.meta["git_commit"]) for run in runs if run.meta and run.meta.get("git_commit")})
    if commits:
        facts.append(("runs' git commits", commits))
    root = Path(inputs.results_root)
    return {"facts": facts, "environment": _environment(runs), "datasets": _datasets(read_dataset_stats(root)),
            "wall_time": _wall_time(stage_wall_times(root, runs))}


def _environment(runs: list[RunFolder]) -> dict | None:
    """Python, platform, device and package versions of the first run whose meta.json lists packages."""
    source = next((run for run in runs if run.meta and isinstance(run.meta.get("packages"), dict)), None)
    if source is None:
        return None
    meta = source.meta
    rows = [(key, meta.get(key, "not recorded")) for key in ("python", "platform", "device")]
    rows += [(name, version or "not installed") for name, version in meta["packages"].items()]
    return {"source": source.label, "rows": rows}


def _datasets(stats: list[tuple[str, dict]]) -> list[list]:
    """One row per data set summary: sizes, bin thresholds and categories per bin."""
    rows = []
    for name, summary in stats:
        train, val = summary.get("train", {}), summary.get("val", {})
        rows.append([name, summary.get("num_categories", "?"), train.get("images", "?"), train.get("instances", "?"),
                     val.get("images", "?"), val.get("instances", "?"),
                     ", ".join(map(str, summary.get("thresholds", []))),
                     " / ".join(map(str, summary.get("categories_per_bin", [])))])
    return rows


def _hms(seconds: float) -> str:
    """``h:mm:ss`` of a number of seconds."""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _wall_time(times: list[StageTime]) -> list[dict]:
    """Rules, longest first, with their share of the total in percent (a bar); the total last."""
    if not times:
        return []
    total = sum(t.seconds for t in times)
    rows = [{"kind": "stage", "rule": t.rule, "jobs": t.jobs, "seconds": f"{t.seconds:.2f}", "hms": _hms(t.seconds),
             "share": f"{100.0 * t.seconds / total if total > 0 else 0.0:.1f}"} for t in times]
    return rows + [{"kind": "total", "rule": "total", "jobs": sum(t.jobs for t in times), "seconds": f"{total:.2f}",
                    "hms": _hms(total), "share": "100.0"}]


# ---- claims ----------------------------------------------------------------------------------------


def _claims(claims_json: Path | None) -> dict | None:
    """Counts per status, what was checked against what, the interval methods and one entry per claim;
    None without a claims JSON."""
    if claims_json is None:
        return None
    payload = read_claims(Path(claims_json))
    results = payload["results"]
    checked = None
    if payload.get("tidy"):
        bootstrap = f" and {payload['bootstrap']}" if payload.get("bootstrap") else ""
        checked = f"{payload.get('claims', '')} checked against {payload['tidy']}{bootstrap}"
    methods: dict[str, int] = {}
    for result in results:
        if result.get("method"):
            methods[result["method"]] = methods.get(result["method"], 0) + 1
    counts = [(status, STATUS_CLASSES[status], n) for status, n in claims_summary(results).items()]
    return {"counts": counts, "checked": checked, "methods": list(methods.items()),
            "rows": [_claim(result) for result in results]}


def _claim(result: dict) -> dict:
    """One claim: status, text and id, kind, source, slack, our and the paper's numbers, explanation."""
    explanation = str(result.get("explanation", ""))
    unexplained = [str(ref) for ref in result.get("missing") or [] if str(ref) not in explanation]
    kind = str(result.get("kind") or "")
    parts = [part for part in result.get("parts") or [] if isinstance(part, dict)]
    return {"id": result["id"], "status": result["status"], "css": STATUS_CLASSES[result["status"]],
            "text": result["text"], "kind": KIND_LABELS.get(kind, kind), "kind_css": kind.replace("_", "-"),
            "source": result.get("source", ""), "slack": _slack_text(result),
            "parts": [{"css": STATUS_CLASSES.get(part.get("status"), "not-run"), "status": part.get("status", ""),
                       "type": part.get("type", ""), "slack": _slack_text(part)} for part in parts],
            "ours": _numbers(result.get("numbers") or []), "paper": _numbers((result.get("paper") or {}).items()),
            "explanation": explanation, "missing": ", ".join(unexplained), "cause": result.get("cause") or ""}


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


def _numbers(pairs) -> list[tuple[str, str]]:
    """(label, number with 2 decimals; other values as they are) of (label, value) pairs."""
    return [(str(label), f"{value:.2f}" if isinstance(value, (int, float)) and not isinstance(value, bool)
             else str(value)) for label, value in pairs]


# ---- tables and figures ----------------------------------------------------------------------------


def _tables(tables: dict[str, Path], csvs: dict[str, Path]) -> list[dict]:
    """Each table fragment (HTML, as the tables stage wrote it) in the given order, with the ours-vs-paper
    chart (SVG) of its CSV where one is given."""
    from harness.report.paper_delta import delta_chart, read_deltas

    return [{"name": name, "title": _pretty(name), "fragment": Markup(_rename_table_id(Path(path).read_text(), name)),
             "chart": Markup(delta_chart(read_deltas(csvs[name]), _pretty(name))) if name in csvs else None}
            for name, path in tables.items()]


def _rename_table_id(fragment: str, name: str) -> str:
    """The fragment's ``<table id=NAME>`` becomes ``NAME-table``: the wrapping section owns the id ``NAME``."""
    return re.sub(rf'(<table\b[^>]*\bid=")({re.escape(name)})(")', r"\1\2-table\3", fragment, count=1)


def _pretty(name: str) -> str:
    """``table1`` -> ``Table 1``, ``figure2`` -> ``Figure 2``, ``gains`` -> its title; other names unchanged."""
    if name in TABLE_TITLES:
        return TABLE_TITLES[name]
    match = re.match(r"^(table|figure)(\d+)$", name)
    return f"{match.group(1).capitalize()} {match.group(2)}" if match else name


def _figures(figures: list[tuple[str, str, Path]], skipped: list[tuple[str, str]], long_tail,
             extra: list[Markup] = ()) -> dict:
    """The long-tail figure (a :class:`harness.report.long_tail.LongTailFigure`: its PNG, or the notes on why
    it is not drawn), ``extra`` HTML parts shown after it, the figures not drawn for lack of runs, and each
    PNG with its caption (both inline as data URIs)."""
    images = []
    for figure_id, caption, path in figures:
        data = Path(path).read_bytes()
        if not data.startswith(PNG_SIGNATURE):
            raise InputError(path, None, f"figure {figure_id} is not a PNG file")
        label = f"{_pretty(figure_id)}: {caption}" if caption else _pretty(figure_id)
        images.append({"id": figure_id, "uri": _data_uri(data), "label": label})
    uri = _data_uri(long_tail.png) if long_tail.png is not None else None
    return {"long_tail": {"uri": uri, "label": f"Long tail: {long_tail.caption}", "notes": long_tail.notes},
            "extra": list(extra), "skipped": [(_pretty(figure_id), missing) for figure_id, missing in skipped],
            "images": images}


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ---- runs ------------------------------------------------------------------------------------------


def _run_groups(runs: list[RunFolder]) -> list[dict]:
    """The runs (sorted) grouped by data set and model."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        groups.setdefault((run.dataset, run.model), []).append(_run(run))
    return [{"dataset": dataset, "model": model, "runs": shown} for (dataset, model), shown in groups.items()]


def _run(run: RunFolder) -> dict:
    """What a run's ``<details>`` shows: its name, method and AP, facts, key metrics and loss chart."""
    return {"id": f"run-{run.dataset}-{run.model}-{run.run}-seed{run.seed}", "label": run.label,
            "method": _method_text(run.meta), "ap": _percent(run.metrics, "AP"), "facts": _run_facts(run),
            **_run_metrics(run.metrics), **_run_chart(run)}


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


def _run_facts(run: RunFolder) -> list[tuple[str, object]]:
    """Stage, method, epochs, training time (meta's train_seconds, else wall_time_s), job times, folder."""
    meta = run.meta or {}
    epochs = len(run.log) if run.log else meta.get("epochs")
    seconds = meta.get("train_seconds", meta.get("wall_time_s"))
    jobs = ", ".join(f"{rule} {job_seconds:.1f} s" for rule, job_seconds in sorted(run.benchmarks.items()))
    return [("stage", meta.get("stage", "no train/meta.json")), ("method and options", _method_text(run.meta)),
            ("epochs", epochs if epochs is not None else "n/a"),
            ("train seconds", f"{seconds:.1f}" if isinstance(seconds, (int, float)) else "n/a"),
            ("job wall times", jobs or "no benchmark files"), ("folder", str(run.path))]


def _run_metrics(metrics: dict | None) -> dict:
    """The key metrics present in metrics.json, in percent (``metrics``), or why there are none."""
    if metrics is None:
        return {"metrics": None, "metrics_missing": "not evaluated (no evaluate/metrics.json)"}
    shown = {key: _percent(metrics, key) for key in KEY_METRICS if _percent(metrics, key) is not None}
    return {"metrics": shown or None, "metrics_missing": "none of the key metrics in evaluate/metrics.json"}


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


def _run_chart(run: RunFolder) -> dict:
    """The loss chart (``chart``), or why there is none (post-hoc runs have no training log)."""
    if run.log is None:
        stage = (run.meta or {}).get("stage")
        reason = " (post-hoc method: the model was not trained)" if stage == "posthoc" else ""
        return {"chart": None, "no_log": f"no training log{reason}"}
    points = [(record.get("epoch", i + 1), total_loss(record)) for i, record in enumerate(run.log)]
    points = [(float(epoch), loss) for epoch, loss in points if loss is not None and isinstance(epoch, (int, float))]
    if not points:
        return {"chart": None, "no_log": "training log without loss values"}
    return {"chart": loss_chart(points), "no_log": ""}


def loss_chart(points: list[tuple[float, float]], width: int = 360, height: int = 150) -> dict:
    """The coordinates of a line chart of (epoch, total loss) with min/max labels on both axes (drawn as
    an inline SVG by runs.html.j2): the polyline, its dots (up to 40 points) and the labels."""
    left, right, top, bottom = 52, 10, 18, 26
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1e-9)
    y0, y1 = min(ys), max(max(ys), min(ys) + 1e-9)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    base = height - bottom
    labels = [(left, 12, "start", "total loss per epoch"),
              (left - 4, sy(y1) + 4, "end", f"{max(ys):.3g}"), (left - 4, sy(y0) + 4, "end", f"{y0:.3g}"),
              (sx(x0), base + 14, "middle", f"{x0:g}"), (sx(x1), base + 14, "middle", f"{max(xs):g}"),
              ((left + width - right) / 2, height - 2, "middle", "epoch")]
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top, "base": base,
            "line": " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points),
            "dots": [(f"{sx(x):.1f}", f"{sy(y):.1f}") for x, y in points] if len(points) <= 40 else [],
            "labels": [(f"{x:.1f}", f"{y:.1f}", anchor, text) for x, y, anchor, text in labels]}
