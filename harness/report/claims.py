"""The paper's checkable claims (``configs/paper/claims.yaml``), judged with their uncertainty.

A claim file holds a list of claims; each carries a predicate in a small declarative vocabulary
(documented at the top of ``configs/paper/claims.yaml`` and in :data:`PREDICATES`) over *run
references*: (data set, model, run id, metric). The metrics come as a tidy table with columns
``dataset, model, method, variant, seed, metric, value`` (``variant`` is the run id, values are
fractions), optionally with a table of paired image-bootstrap replicates (:func:`replicate_table`).

Method (design property 8: verdicts carry their uncertainty):

1. **Slack.** Every predicate has a signed slack, positive when it holds (L, R: left and right values;
   v: a value; "others": the listed runs other than ``run``)::

       greater   (L - R) - margin            less       -margin - (L - R)
       close     tolerance - |L - R|         at_least   (L - R) + tolerance
       above     v - threshold               below      threshold - v
       best      (run - max others) + tol    beats_all  (run - max others) - margin
       increasing_up_to  min(tolerance - largest step down, last - first)

   Ties (a slack of exactly 0, within 1e-9) fail for the strict comparisons (greater, less, above,
   below, beats_all, the rise of increasing_up_to) and hold for the others, as before.
2. **Point.** The point slack uses each reference's mean over its seeds.
3. **Draws.** For draws d = 1..D the seed ids are resampled with replacement, one draw shared by all
   references of the claim, so runs with the same seed stay paired (BAGS seed s starts from baseline
   seed s). The pool is the union of the claim's seeds and a draw has as many ids as the pool; each
   reference averages the drawn ids it has (with their multiplicity). A reference with fewer seeds
   thus stays paired on the seeds it shares; when a draw holds none of its seeds it resamples its own
   seeds for that draw (unpaired), so every reference's draws centre on its own seed mean. When a
   bootstrap table is given, D = B (its number of replicates) and draw d also takes image replicate
   b = d: a (run, seed)'s value in draw d is its metric recomputed on image resample b, the same
   resample for every run (paired). Metrics without replicates (ACC*, weight_norm_rho, AR, ...) use
   their per-seed value in every draw. A replicate of -1 (undefined in that resample, e.g. a bin
   without ground truth) is missing: that seed is left out of the draw's mean, and a draw in which a
   reference has no defined value is left out of the interval. Without a bootstrap table D is
   ``draws`` (1000); with one seed everywhere and no replicates the interval is the point itself.
4. **Interval.** The 95 % percentile interval of the D slacks, rounded outward to order statistics
   (lower: the ``floor(0.025 (D-1))``-th smallest, upper: the ``ceil(0.975 (D-1))``-th), so with 4
   draws it is [min, max].
5. **Verdict** of a leaf predicate: "holds" when the point slack and the interval's lower bound are
   both > 0; "does not hold" when the point slack and the upper bound are both <= 0; otherwise
   "inconclusive". ``all_of``: every part holds -> holds; any part does not hold -> does not hold;
   otherwise inconclusive. Its slack and interval are those of its weakest part (lowest lower
   bound); every part's own verdict is in ``parts``.
6. ``tolerance: noise`` (``best`` and ``close``): the tolerance is the measured noise, the pooled
   standard deviation over seeds of the compared runs' metric (0 with one seed each); the number used
   is shown in the explanation and in the part's ``tolerance``.

A claim whose references are not all in the tidy table is "not run". Every claim has a ``kind``
("phenomenon": what the paper's method does; "release_artefact": a number produced by a defect of the
authors' release, checked against our emulation of it) and an optional one-line ``cause``.
Numbers, slacks and intervals are shown in percent (AP, ACC), except correlation coefficients
(:data:`RAW_METRICS`), which are shown as they are.
"""

import functools
import re
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from harness.errors import InputError
from harness.io import read_yaml
from harness.report.aggregate import IDENTITY_COLUMNS

DEFAULT_DATASET, DEFAULT_MODEL = "lvis", "faster_r50"
STATUSES = ("holds", "does not hold", "inconclusive", "not run")
KINDS = ("phenomenon", "release_artefact")
RAW_METRICS = frozenset({"weight_norm_rho"})  # shown unscaled; every other metric is a fraction shown in percent
TIDY_COLUMNS = ("dataset", "model", "variant", "seed", "metric", "value")
REPLICATE_KEYS = tuple(IDENTITY_COLUMNS)  # the identity columns of report/bootstrap.csv
REPLICATE_COLUMN = re.compile(r"^b(\d+)$")
UNDEFINED_REPLICATE = -1.0  # the bootstrap producer's marker for "undefined in this resample"
SCOPE_KEYS = ("dataset", "model", "metric")  # defaults a predicate passes down to its references and parts
REF_KEYS = ("run", *SCOPE_KEYS)
CLAIM_KEYS = ("id", "text", "source", "kind", "paper", "predicate")
OPTIONAL_CLAIM_KEYS = ("cause",)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
NOISE = "noise"  # `tolerance: noise`: the pooled seed standard deviation of the compared runs
DEFAULT_DRAWS, LEVEL, LEVEL_TEXT = 1000, 0.95, "95 %"


@dataclass(frozen=True)
class PredicateSpec:
    """The fields of one predicate type: single references, lists of references, numbers (all required).

    ``noise``: the numbers that may also be the string ``noise`` (the measured seed noise).
    """

    refs: tuple[str, ...] = ()
    ref_lists: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    min_list: int = 1
    noise: tuple[str, ...] = ()


PREDICATES: dict[str, PredicateSpec] = {
    "greater": PredicateSpec(refs=("left", "right"), numbers=("margin",)),       # left > right + margin
    "less": PredicateSpec(refs=("left", "right"), numbers=("margin",)),          # left < right - margin
    "close": PredicateSpec(refs=("left", "right"), numbers=("tolerance",), noise=("tolerance",)),  # |l - r| <= tol
    "at_least": PredicateSpec(refs=("left", "right"), numbers=("tolerance",)),   # left >= right - tolerance
    "above": PredicateSpec(refs=("value",), numbers=("threshold",)),             # value > threshold
    "below": PredicateSpec(refs=("value",), numbers=("threshold",)),             # value < threshold
    "best": PredicateSpec(refs=("run",), ref_lists=("among",), numbers=("tolerance",),
                          noise=("tolerance",)),                                 # run >= max(among) - tol
    "beats_all": PredicateSpec(refs=("run",), ref_lists=("others",), numbers=("margin",)),  # run > each + margin
    "increasing_up_to": PredicateSpec(ref_lists=("runs",), numbers=("tolerance",), min_list=2),
    "all_of": PredicateSpec(),  # field `predicates`: a non-empty list of predicates, all must hold
}
NON_NEGATIVE = ("margin", "tolerance")


@dataclass(frozen=True)
class RunRef:
    """One number of the tidy table: a run's metric on a data set and model (mean over seeds)."""

    dataset: str
    model: str
    run: str
    metric: str

    @property
    def scope(self) -> str:
        return f"{self.dataset}/{self.model}"

    def label(self) -> str:
        """``bags AP1``, prefixed with ``dataset/model`` when not the default LVIS Faster R50."""
        prefix = "" if (self.dataset, self.model) == (DEFAULT_DATASET, DEFAULT_MODEL) else f"{self.scope} "
        return f"{prefix}{self.run} {self.metric}"


@dataclass
class Predicate:
    """A parsed predicate: its type, references by role, numbers by name, and parts (``all_of``).

    ``noise``: the numbers given as ``noise`` (measured, not in ``numbers``).
    """

    kind: str
    refs: dict[str, RunRef] = field(default_factory=dict)
    ref_lists: dict[str, list[RunRef]] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    parts: list["Predicate"] = field(default_factory=list)
    noise: tuple[str, ...] = ()

    def references(self) -> list[RunRef]:
        """Every run reference, in order of appearance, parts included."""
        found = [*self.refs.values(), *(ref for refs in self.ref_lists.values() for ref in refs)]
        return found + [ref for part in self.parts for ref in part.references()]


@dataclass
class Claim:
    """One claim of the paper: id, our wording, where the paper says it, its kind, numbers, predicate."""

    id: str
    text: str
    source: str
    paper: dict[str, Any]
    predicate: Predicate
    kind: str = "phenomenon"
    cause: str = ""


@dataclass
class Verdict:
    """The verdict on one predicate: slack and interval (display units), explanation, parts (all_of)."""

    type: str
    status: str
    slack: float
    interval: tuple[float, float]
    explanation: str
    parts: list["Verdict"] = field(default_factory=list)
    tolerance: float | None = None  # the measured noise used as tolerance (display units)

    def to_json(self) -> dict:
        payload = {"type": self.type, "status": self.status, "slack": self.slack,
                   "interval": list(self.interval), "explanation": self.explanation}
        if self.tolerance is not None:
            payload["tolerance"] = self.tolerance
        if self.parts:
            payload["parts"] = [part.to_json() for part in self.parts]
        return payload


@dataclass
class ClaimResult:
    """The verdict on one claim, the numbers it used (label, percent), slack, interval and explanation."""

    id: str
    text: str
    source: str
    status: str
    numbers: list[tuple[str, float]]
    explanation: str
    missing: list[str] = field(default_factory=list)
    paper: dict[str, Any] = field(default_factory=dict)
    kind: str = "phenomenon"
    slack: float | None = None
    interval: tuple[float, float] | None = None
    parts: list[Verdict] = field(default_factory=list)
    method: str = ""
    cause: str = ""
    tolerance: float | None = None  # the measured noise used as tolerance by a leaf predicate (display units)

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "text": self.text, "source": self.source, "status": self.status,
                "slack": self.slack, "interval": list(self.interval) if self.interval else None,
                "tolerance": self.tolerance, "method": self.method,
                "numbers": [[label, value] for label, value in self.numbers],
                "explanation": self.explanation, "parts": [part.to_json() for part in self.parts],
                "cause": self.cause, "missing": self.missing, "paper": self.paper}


# --------------------------------------------------------------------------------------------------
# Loading and validation


def load_claims(path: str | Path) -> list[Claim]:
    """Read and validate a claims file; any problem raises :class:`InputError` (file, field, problem)."""
    path = Path(path)
    data = read_yaml(path, "claims file")
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list) or not data["claims"]:
        raise InputError(path, "claims", "must be a non-empty list of claims")
    claims = [_parse_claim(entry, str(path), f"claims[{i}]") for i, entry in enumerate(data["claims"])]
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        if claim.id in seen:
            raise InputError(path, f"claims[{i}].id", f"duplicate id {claim.id!r}")
        seen.add(claim.id)
    return claims


def _parse_claim(entry: Any, source: str, where: str) -> Claim:
    _require_mapping(entry, source, where, CLAIM_KEYS, (*CLAIM_KEYS, *OPTIONAL_CLAIM_KEYS))
    for key in ("id", "text", "source"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise InputError(source, f"{where}.{key}", "must be a non-empty string")
    if not ID_PATTERN.match(entry["id"]):
        raise InputError(source, f"{where}.id", f"{entry['id']!r} is not snake_case")
    if entry["kind"] not in KINDS:
        raise InputError(source, f"{where}.kind", f"must be one of {', '.join(KINDS)}, got {entry['kind']!r}")
    cause = entry.get("cause") or ""
    if not isinstance(cause, str) or "\n" in cause.strip():
        raise InputError(source, f"{where}.cause", "must be a one-line string")
    paper = entry["paper"]
    if not isinstance(paper, dict) or not paper:
        raise InputError(source, f"{where}.paper", "must be a non-empty mapping of the paper's numbers")
    for key, value in paper.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InputError(source, f"{where}.paper.{key}", "must be a number (percent) or a short note")
    predicate = _parse_predicate(entry["predicate"], source, f"{where}.predicate", {})
    return Claim(entry["id"], entry["text"].strip(), entry["source"], dict(paper), predicate, entry["kind"],
                 cause.strip())


def _parse_predicate(entry: Any, source: str, where: str, inherited: dict[str, str]) -> Predicate:
    if not isinstance(entry, dict):
        raise InputError(source, where, "must be a mapping with a `type`")
    if "type" not in entry:
        raise InputError(source, f"{where}.type", "missing: every predicate needs a type")
    kind = entry["type"]
    if kind not in PREDICATES:
        raise InputError(source, f"{where}.type", f"unknown predicate type {kind!r}; known: {', '.join(PREDICATES)}")
    spec = PREDICATES[kind]
    required = (*spec.refs, *spec.ref_lists, *spec.numbers, *(("predicates",) if kind == "all_of" else ()))
    _require_mapping(entry, source, where, required, ("type", *required, *SCOPE_KEYS))
    scope = inherited | _parse_scope(entry, source, where)
    predicate = Predicate(kind)
    for role in spec.refs:
        predicate.refs[role] = _parse_ref(entry[role], source, f"{where}.{role}", scope)
    for role in spec.ref_lists:
        predicate.ref_lists[role] = _parse_ref_list(entry[role], source, f"{where}.{role}", scope, spec.min_list)
    for name in spec.numbers:
        if name in spec.noise and entry[name] == NOISE:
            predicate.noise += (name,)
            continue
        predicate.numbers[name] = _parse_number(entry[name], source, f"{where}.{name}", name in NON_NEGATIVE,
                                                name in spec.noise)
    _check_rivals(predicate, source, where)
    if kind == "all_of":
        parts = entry["predicates"]
        if not isinstance(parts, list) or not parts:
            raise InputError(source, f"{where}.predicates", "must be a non-empty list of predicates")
        predicate.parts = [_parse_predicate(p, source, f"{where}.predicates[{i}]", scope) for i, p in enumerate(parts)]
    return predicate


def _parse_scope(entry: dict, source: str, where: str) -> dict[str, str]:
    scope = {key: entry[key] for key in SCOPE_KEYS if key in entry}
    for key, value in scope.items():
        if not isinstance(value, str) or not value:
            raise InputError(source, f"{where}.{key}", "must be a non-empty string")
    return scope


def _parse_ref(entry: Any, source: str, where: str, scope: dict[str, str]) -> RunRef:
    """A run id (string) or a mapping {run, metric, dataset, model}; unset keys come from ``scope``."""
    if isinstance(entry, str):
        entry = {"run": entry}
    _require_mapping(entry, source, where, ("run",), REF_KEYS)
    values = {"dataset": DEFAULT_DATASET, "model": DEFAULT_MODEL} | scope | entry
    for key in REF_KEYS:
        if key not in values:
            raise InputError(source, f"{where}.{key}", "missing (set it here or on an enclosing predicate)")
        if not isinstance(values[key], str) or not values[key]:
            raise InputError(source, f"{where}.{key}", "must be a non-empty string")
    return RunRef(values["dataset"], values["model"], values["run"], values["metric"])


def _parse_ref_list(entry: Any, source: str, where: str, scope: dict[str, str], min_len: int) -> list[RunRef]:
    if not isinstance(entry, list) or len(entry) < min_len:
        raise InputError(source, where, f"must be a list of at least {min_len} run reference(s)")
    return [_parse_ref(item, source, f"{where}[{i}]", scope) for i, item in enumerate(entry)]


def _parse_number(value: Any, source: str, where: str, non_negative: bool, noise_allowed: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        alternative = f" or `{NOISE}`" if noise_allowed else ""
        raise InputError(source, where, f"must be a number (fraction units: 0.01 = 1 AP point){alternative}, "
                                        f"got {value!r}")
    if non_negative and value < 0:
        raise InputError(source, where, f"must be >= 0, got {value}")
    return float(value)


def _require_mapping(entry: Any, source: str, where: str, required: tuple, allowed: tuple) -> None:
    if not isinstance(entry, dict):
        raise InputError(source, where, "must be a mapping")
    for key in required:
        if key not in entry:
            raise InputError(source, f"{where}.{key}", "missing")
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise InputError(source, f"{where}.{unknown[0]}", f"unknown field; allowed: {', '.join(allowed)}")


def _check_rivals(predicate: Predicate, source: str, where: str) -> None:
    """``best`` and ``beats_all`` need at least one listed run other than the run itself."""
    role = {"best": "among", "beats_all": "others"}.get(predicate.kind)
    if role and all(ref == predicate.refs["run"] for ref in predicate.ref_lists[role]):
        raise InputError(source, f"{where}.{role}", "must list at least one run other than `run`")


def claim_references(claims: list[Claim]) -> list[RunRef]:
    """Every distinct run reference of ``claims``, in order of appearance."""
    return _unique([ref for claim in claims for ref in claim.predicate.references()])


# --------------------------------------------------------------------------------------------------
# Measurements: per-seed values and image-bootstrap replicates

Seed = int | str


@dataclass
class Measurements:
    """Per-seed values of every reference (fractions) and, where given, their bootstrap replicates.

    ``replicates[ref][seed]``: shape (B,), NaN where the metric is undefined in that image resample.
    """

    seeds: dict[RunRef, dict[Seed, float]]
    replicates: dict[RunRef, dict[Seed, np.ndarray]] = field(default_factory=dict)
    n_replicates: int = 0

    def mean(self, ref: RunRef) -> float:
        return float(np.mean(list(self.seeds[ref].values())))


def _seed_key(value: Any) -> Seed:
    """Seed ids as ints where they are whole numbers (CSV round trips), else as strings."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return int(number) if number.is_integer() else str(value)


def seed_values(tidy: pd.DataFrame, source: str = "tidy table") -> dict[RunRef, dict[Seed, float]]:
    """Per-seed value of every (dataset, model, run, metric) of the tidy table; NaN values are absent."""
    for column in TIDY_COLUMNS:
        if column not in tidy.columns:
            raise InputError(source, column, f"missing column; a tidy table has {', '.join(TIDY_COLUMNS)}")
    frame = tidy.assign(value=pd.to_numeric(tidy["value"], errors="coerce")).dropna(subset=["value"])
    found: dict[RunRef, dict[Seed, list[float]]] = {}
    for row in frame.itertuples(index=False):
        ref = RunRef(str(row.dataset), str(row.model), str(row.variant), str(row.metric))
        found.setdefault(ref, {}).setdefault(_seed_key(row.seed), []).append(float(row.value))
    return {ref: {seed: float(np.mean(values)) for seed, values in by_seed.items()} for ref, by_seed in found.items()}


def metric_means(tidy: pd.DataFrame, source: str = "tidy table") -> dict[RunRef, float]:
    """Mean over seeds of every (dataset, model, run, metric) of the tidy table; NaN values are absent."""
    return {ref: float(np.mean(list(by_seed.values()))) for ref, by_seed in seed_values(tidy, source).items()}


def replicate_table(frame: pd.DataFrame, source: str = "bootstrap table") -> tuple[dict, int]:
    """The wide bootstrap table -> ({ref: {seed: replicates (B,)}}, B).

    Columns ``dataset, model, method, variant, seed, metric, b0 .. b{B-1}``: one row per run, seed and
    metric, the metric recomputed on B resamples of the val images (resample b the same for every
    run). -1 (and empty) means undefined in that resample and becomes NaN; a row with no defined
    replicate is left out (its seed then uses its point value).
    """
    for column in REPLICATE_KEYS:
        if column not in frame.columns:
            raise InputError(source, column, f"missing column; a bootstrap table has {', '.join(REPLICATE_KEYS)}, "
                                             "b0 .. b{B-1}")
    indexes = sorted(int(m.group(1)) for m in map(REPLICATE_COLUMN.match, map(str, frame.columns)) if m)
    if not indexes:
        raise InputError(source, "b0", "missing: no replicate columns b0 .. b{B-1}")
    if indexes != list(range(len(indexes))):
        absent = sorted(set(range(indexes[-1] + 1)) - set(indexes))
        raise InputError(source, f"b{absent[0]}", f"missing: replicate columns must be b0 .. b{indexes[-1]}")
    columns = [f"b{i}" for i in indexes]
    values = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    values[values == UNDEFINED_REPLICATE] = np.nan
    found: dict[RunRef, dict[Seed, np.ndarray]] = {}
    for i, row in enumerate(frame[list(REPLICATE_KEYS)].itertuples(index=False)):
        ref = RunRef(str(row.dataset), str(row.model), str(row.variant), str(row.metric))
        seed = _seed_key(row.seed)
        if seed in found.get(ref, {}):
            raise InputError(source, f"row {i + 2}", f"duplicate replicates for {ref.scope} {ref.run} {ref.metric} "
                                                     f"seed {seed}")
        if np.isfinite(values[i]).any():
            found.setdefault(ref, {})[seed] = values[i]
    return found, len(columns)


def measurements(tidy: pd.DataFrame, replicates: pd.DataFrame | None = None, source: str = "tidy table",
                 replicate_source: str = "bootstrap table") -> Measurements:
    """The tidy table's per-seed values with the replicates of the (run, seed)s it holds."""
    seeds = seed_values(tidy, source)
    if replicates is None:
        return Measurements(seeds)
    found, n_replicates = replicate_table(replicates, replicate_source)
    kept = {ref: {seed: reps for seed, reps in by_seed.items() if seed in seeds.get(ref, {})}
            for ref, by_seed in found.items()}
    return Measurements(seeds, {ref: by_seed for ref, by_seed in kept.items() if by_seed}, n_replicates)


# --------------------------------------------------------------------------------------------------
# Checking

EPS = 1e-9  # comparisons at exactly the margin count as on the margin, not beyond it, whatever the rounding
Value = float | np.ndarray
ValueOf = Callable[[RunRef], Value]


def check_claims(claims: list[Claim], tidy: pd.DataFrame, source: str = "tidy table",
                 replicates: pd.DataFrame | None = None, draws: int = DEFAULT_DRAWS, seed: int = 0,
                 replicate_source: str = "bootstrap table") -> list[ClaimResult]:
    """Check every claim on the tidy table (and the bootstrap replicates, when given)."""
    data = measurements(tidy, replicates, source, replicate_source)
    return [check_claim(claim, data, draws, seed) for claim in claims]


def check_claim(claim: Claim, data: Measurements, draws: int = DEFAULT_DRAWS, seed: int = 0) -> ClaimResult:
    """One claim: "not run" when a reference is absent, else the verdict with its interval."""
    refs = _unique(claim.predicate.references())
    present = [ref for ref in refs if ref in data.seeds]
    numbers = [(ref.label(), round(_shown(data.mean(ref), ref.metric), 4)) for ref in present]
    missing = [f"{ref.scope} {ref.run} {ref.metric}" for ref in refs if ref not in data.seeds]
    result = ClaimResult(claim.id, claim.text, claim.source, "not run", numbers, "", missing, claim.paper,
                         claim.kind, cause=claim.cause)
    if missing:
        result.explanation = f"not in the table: {', '.join(missing)}"
        return result
    drawn, result.method = draw_values(refs, data, draws, _claim_rng(claim.id, seed))
    verdict = judge(claim.predicate, data.mean, drawn.__getitem__ if drawn else None, data)
    result.status, result.explanation = verdict.status, verdict.explanation
    result.slack, result.interval, result.parts = verdict.slack, verdict.interval, verdict.parts
    result.tolerance = verdict.tolerance
    return result


def _claim_rng(claim_id: str, seed: int) -> np.random.Generator:
    """One generator per claim, so that a claim's draws do not depend on the others or their order."""
    return np.random.default_rng([seed, zlib.crc32(claim_id.encode())])


def draw_values(refs: list[RunRef], data: Measurements, draws: int,
                rng: np.random.Generator) -> tuple[dict[RunRef, np.ndarray] | None, str]:
    """Every reference's value in each draw (shape (D,), NaN where undefined) and the method's name.

    None when there is nothing to resample (one seed per reference, no replicates).
    """
    with_replicates = any(ref in data.replicates for ref in refs)
    if not with_replicates and all(len(data.seeds[ref]) == 1 for ref in refs):
        return None, "seeds only (one seed, no image bootstrap: the interval is the point)"
    n_draws = data.n_replicates if with_replicates else draws
    pool = sorted({seed for ref in refs for seed in data.seeds[ref]}, key=lambda s: (isinstance(s, str), s))
    position = {seed: i for i, seed in enumerate(pool)}
    picks = rng.integers(0, len(pool), size=(n_draws, len(pool)))  # draw d: seed positions, shared by all refs
    columns = np.arange(n_draws)[:, None]
    drawn = {}
    for ref in refs:
        table = np.full((len(pool), n_draws), np.nan)  # seed position x draw -> the seed's value in that draw
        for seed, point in data.seeds[ref].items():
            table[position[seed]] = data.replicates.get(ref, {}).get(seed, point)
        own = np.array([position[seed] for seed in data.seeds[ref]])
        chosen, used = picks.copy(), np.isin(picks, own)
        alone = ~used.any(axis=1)  # draws holding none of this ref's seeds: resample its own seeds
        if alone.any():
            chosen[alone] = 0
            used[alone] = False
            chosen[alone, :len(own)] = own[rng.integers(0, len(own), size=(int(alone.sum()), len(own)))]
            used[alone, :len(own)] = True
        values = np.where(used, table[chosen, columns], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN draws stay NaN (left out later)
            drawn[ref] = np.nanmean(values, axis=1)
    kind = "seeds x image bootstrap" if with_replicates else "seeds only"
    return drawn, f"{kind}, {n_draws} draws, {LEVEL_TEXT} percentile"


def judge(predicate: Predicate, point: ValueOf, drawn: ValueOf | None, data: Measurements) -> Verdict:
    """The verdict on ``predicate`` from the point values and, when given, the draws (module docstring)."""
    if predicate.kind == "all_of":
        return _combine([judge(part, point, drawn, data) for part in predicate.parts])
    like = predicate.references()[0]
    tolerance = pooled_noise(predicate, data) if predicate.noise else predicate.numbers.get("tolerance")
    slack = SLACKS[predicate.kind]
    at_point = float(slack(predicate, point, tolerance))
    low = high = at_point
    if drawn is not None:
        values = np.asarray(slack(predicate, drawn, tolerance), dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            low = float(np.quantile(values, (1 - LEVEL) / 2, method="lower"))
            high = float(np.quantile(values, (1 + LEVEL) / 2, method="higher"))
    text = EXPLAINERS[predicate.kind](predicate, point, tolerance, at_point > 0)
    notes = [f"tolerance = seed noise {_num(tolerance, like)}"] if predicate.noise else []
    if _num(low, like) != _num(high, like):
        notes.append(f"slack {_signed(at_point, like)}, {LEVEL_TEXT} interval {_signed(low, like)} to "
                     f"{_signed(high, like)}")
    if notes:
        text += f" ({'; '.join(notes)})"
    return Verdict(predicate.kind, _status(at_point, low, high), _display(at_point, like),
                   (_display(low, like), _display(high, like)), text,
                   tolerance=_display(tolerance, like) if predicate.noise else None)


def _status(point: float, low: float, high: float) -> str:
    if point > 0 and low > 0:
        return "holds"
    if point <= 0 and high <= 0:
        return "does not hold"
    return "inconclusive"


def _combine(parts: list[Verdict]) -> Verdict:
    """``all_of``: holds if every part holds, does not hold if any part does not, else inconclusive."""
    by_status = {status: [part.explanation for part in parts if part.status == status] for status in STATUSES}
    failed, open_ = by_status["does not hold"], by_status["inconclusive"]
    if failed:
        status, text = "does not hold", f"{len(failed)} of {len(parts)} fail: " + "; ".join(failed)
        if open_:
            text += f"; {len(open_)} inconclusive: " + "; ".join(open_)
    elif open_:
        status, text = "inconclusive", f"{len(open_)} of {len(parts)} inconclusive: " + "; ".join(open_)
    else:
        status, text = "holds", f"all {len(parts)} hold: " + "; ".join(part.explanation for part in parts)
    weakest = min(parts, key=lambda part: part.interval[0])
    return Verdict("all_of", status, weakest.slack, weakest.interval, text, parts)


def pooled_noise(predicate: Predicate, data: Measurements) -> float:
    """Pooled standard deviation over seeds of the compared runs (fractions; 0 with one seed each)."""
    compared = _unique(predicate.references())
    squares = sum(float(np.sum((np.array(list(data.seeds[ref].values())) - data.mean(ref)) ** 2))
                  for ref in compared)
    freedom = sum(len(data.seeds[ref]) - 1 for ref in compared)
    return float(np.sqrt(squares / freedom)) if freedom else 0.0


def _strict(slack: Value) -> Value:
    """A slack whose tie (0 within EPS) fails: ``>``."""
    return slack - EPS


def _lenient(slack: Value) -> Value:
    """A slack whose tie (0 within EPS) holds: ``>=``."""
    return slack + EPS


def _max(values: list[Value]) -> Value:
    return functools.reduce(np.maximum, values)


def _rivals(p: Predicate, role: str) -> list[RunRef]:
    return [ref for ref in p.ref_lists[role] if ref != p.refs["run"]]


SLACKS: dict[str, Callable[[Predicate, ValueOf, float | None], Value]] = {
    "greater": lambda p, v, _: _strict(v(p.refs["left"]) - v(p.refs["right"]) - p.numbers["margin"]),
    "less": lambda p, v, _: _strict(-p.numbers["margin"] - (v(p.refs["left"]) - v(p.refs["right"]))),
    "close": lambda p, v, tol: _lenient(tol - np.abs(v(p.refs["left"]) - v(p.refs["right"]))),
    "at_least": lambda p, v, tol: _lenient(v(p.refs["left"]) - v(p.refs["right"]) + tol),
    "above": lambda p, v, _: _strict(v(p.refs["value"]) - p.numbers["threshold"]),
    "below": lambda p, v, _: _strict(p.numbers["threshold"] - v(p.refs["value"])),
    "best": lambda p, v, tol: _lenient(v(p.refs["run"]) - _max([v(r) for r in _rivals(p, "among")]) + tol),
    "beats_all": lambda p, v, _: _strict(v(p.refs["run"]) - _max([v(r) for r in _rivals(p, "others")])
                                         - p.numbers["margin"]),
    "increasing_up_to": lambda p, v, tol: np.minimum(
        _lenient(tol - _max([v(a) - v(b) for a, b in zip(p.ref_lists["runs"], p.ref_lists["runs"][1:])])),
        _strict(v(p.ref_lists["runs"][-1]) - v(p.ref_lists["runs"][0]))),
}


# --------------------------------------------------------------------------------------------------
# Explanations (point values; ``holds``: the point slack is positive)

Explainer = Callable[[Predicate, ValueOf, float | None, bool], str]


def _greater(p: Predicate, value: ValueOf, _tol, holds: bool) -> str:
    left, right, margin = p.refs["left"], p.refs["right"], p.numbers["margin"]
    diff = value(left) - value(right)
    return f"{_pair(left, right, value)}: {_signed(diff, left)} {'>' if holds else '<='} {_num(margin, left)}"


def _less(p: Predicate, value: ValueOf, _tol, holds: bool) -> str:
    left, right, margin = p.refs["left"], p.refs["right"], p.numbers["margin"]
    diff = value(left) - value(right)
    return f"{_pair(left, right, value)}: {_signed(diff, left)} {'<' if holds else '>='} {_signed(-margin, left)}"


def _close(p: Predicate, value: ValueOf, tolerance: float, holds: bool) -> str:
    left, right = p.refs["left"], p.refs["right"]
    diff = value(left) - value(right)
    return f"{_pair(left, right, value)}: |{_signed(diff, left)}| {'<=' if holds else '>'} {_num(tolerance, left)}"


def _at_least(p: Predicate, value: ValueOf, tolerance: float, holds: bool) -> str:
    left, right = p.refs["left"], p.refs["right"]
    diff = value(left) - value(right)
    return f"{_pair(left, right, value)}: {_signed(diff, left)} {'>=' if holds else '<'} {_signed(-tolerance, left)}"


def _above(p: Predicate, value: ValueOf, _tol, holds: bool) -> str:
    ref, threshold = p.refs["value"], p.numbers["threshold"]
    return f"{ref.label()} {_num(value(ref), ref)} {'>' if holds else '<='} {_num(threshold, ref)}"


def _below(p: Predicate, value: ValueOf, _tol, holds: bool) -> str:
    ref, threshold = p.refs["value"], p.numbers["threshold"]
    return f"{ref.label()} {_num(value(ref), ref)} {'<' if holds else '>='} {_num(threshold, ref)}"


def _best(p: Predicate, value: ValueOf, tolerance: float, holds: bool) -> str:
    run = p.refs["run"]
    top = max(_rivals(p, "among"), key=value)
    gap = value(run) - value(top)
    sign = ">=" if holds else "<"
    return f"{_pair(run, top, value, 'best other')}: {_signed(gap, run)} {sign} {_signed(-tolerance, run)}"


def _beats_all(p: Predicate, value: ValueOf, _tol, holds: bool) -> str:
    run, margin = p.refs["run"], p.numbers["margin"]
    top = max(_rivals(p, "others"), key=value)
    gap = value(run) - value(top)
    sign = ">" if holds else "<="
    return f"{_pair(run, top, value, 'strongest other')}: {_signed(gap, run)} {sign} {_num(margin, run)}"


def _increasing_up_to(p: Predicate, value: ValueOf, tolerance: float, _holds: bool) -> str:
    refs = p.ref_lists["runs"]
    values = [value(ref) for ref in refs]
    largest_drop = max(before - after for before, after in zip(values, values[1:]))
    rise = values[-1] - values[0]
    steps_ok, rise_ok = largest_drop <= tolerance + EPS, rise > EPS
    first = refs[0]
    chain = ", ".join(f"{_short(ref, first) if i else ref.label()} {_num(v, ref)}"
                      for i, (ref, v) in enumerate(zip(refs, values)))
    return (f"{chain}: largest step down {_num(max(largest_drop, 0.0), first)} "
            f"{'<=' if steps_ok else '>'} {_num(tolerance, first)}, "
            f"last - first {_signed(rise, first)} {'>' if rise_ok else '<='} 0")


EXPLAINERS: dict[str, Explainer] = {
    "greater": _greater, "less": _less, "close": _close, "at_least": _at_least, "above": _above, "below": _below,
    "best": _best, "beats_all": _beats_all, "increasing_up_to": _increasing_up_to,
}


# --------------------------------------------------------------------------------------------------
# Formatting and summaries


def _shown(value: float, metric: str) -> float:
    """A value as shown: percent for fractions (AP, ACC), unchanged for coefficients (rho)."""
    return value if metric in RAW_METRICS else 100.0 * value


def _display(value: float, like: RunRef) -> float:
    """A slack or bound as stored in results: display units, 4 decimals, no negative zero."""
    return round(_shown(value, like.metric), 4) + 0.0


def _num(value: float, like: RunRef) -> str:
    return f"{value:.2f}" if like.metric in RAW_METRICS else f"{100.0 * value:.1f}"


def _signed(value: float, like: RunRef) -> str:
    """``+1.2`` / ``-1.2``; a value that rounds to zero is shown unsigned."""
    text = _num(value, like)
    if float(text) == 0.0:
        return _num(0.0, like)
    return text if text.startswith("-") else f"+{text}"


def _short(ref: RunRef, like: RunRef) -> str:
    """``ref``'s label without the parts it shares with ``like`` (scope, metric)."""
    parts = [ref.scope] if ref.scope != like.scope else []
    parts.append(ref.run)
    if ref.metric != like.metric:
        parts.append(ref.metric)
    return " ".join(parts)


def _pair(left: RunRef, right: RunRef, value: ValueOf, right_role: str = "") -> str:
    role = f"{right_role} " if right_role else ""
    return f"{left.label()} {_num(value(left), left)} vs {role}{_short(right, left)} {_num(value(right), right)}"


def _unique(refs: list[RunRef]) -> list[RunRef]:
    return list(dict.fromkeys(refs))


TABLE_COLUMNS = ["id", "kind", "source", "status", "slack", "interval_low", "interval_high", "claim", "numbers",
                 "explanation", "method", "cause"]


def claims_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim: id, kind, source, status, slack and interval, text, numbers, explanation, cause."""
    rows = [{"id": r.id, "kind": r.kind, "source": r.source, "status": r.status, "slack": r.slack,
             "interval_low": r.interval[0] if r.interval else None,
             "interval_high": r.interval[1] if r.interval else None, "claim": r.text,
             "numbers": "; ".join(f"{label} {value:g}" for label, value in r.numbers),
             "explanation": r.explanation, "method": r.method, "cause": r.cause} for r in results]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def summary(results: list[ClaimResult]) -> dict[str, int]:
    """How many claims hold, do not hold, are inconclusive, were not run."""
    return {status: sum(r.status == status for r in results) for status in STATUSES}
