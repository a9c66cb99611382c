"""The paper's checkable claims (``configs/paper/claims.yaml``), checked against the reproduced metrics.

A claim file holds a list of claims; each carries a predicate in a small declarative vocabulary
(documented at the top of ``configs/paper/claims.yaml`` and in :data:`PREDICATES`) over *run
references*: (data set, model, run id, metric). The metrics come as a tidy table with columns
``dataset, model, method, variant, seed, metric, value`` (``variant`` is the run id, values are
fractions); a reference's value is its mean over seeds. A claim whose references are not all in the
table is "not run"; otherwise it "holds" or "does not hold".

Numbers in results and explanations are percent (AP, ACC), except correlation coefficients
(:data:`RAW_METRICS`), which are shown as they are.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import yaml

from harness.errors import InputError

DEFAULT_DATASET, DEFAULT_MODEL = "lvis", "faster_r50"
STATUSES = ("holds", "does not hold", "not run")
RAW_METRICS = frozenset({"weight_norm_rho"})  # shown unscaled; every other metric is a fraction shown in percent
TIDY_COLUMNS = ("dataset", "model", "variant", "seed", "metric", "value")
SCOPE_KEYS = ("dataset", "model", "metric")  # defaults a predicate passes down to its references and parts
REF_KEYS = ("run", *SCOPE_KEYS)
CLAIM_KEYS = ("id", "text", "source", "paper", "predicate")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@dataclass(frozen=True)
class PredicateSpec:
    """The fields of one predicate type: single references, lists of references, numbers (all required)."""

    refs: tuple[str, ...] = ()
    ref_lists: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    min_list: int = 1


PREDICATES: dict[str, PredicateSpec] = {
    "greater": PredicateSpec(refs=("left", "right"), numbers=("margin",)),       # left > right + margin
    "less": PredicateSpec(refs=("left", "right"), numbers=("margin",)),          # left < right - margin
    "close": PredicateSpec(refs=("left", "right"), numbers=("tolerance",)),      # |left - right| <= tolerance
    "above": PredicateSpec(refs=("value",), numbers=("threshold",)),             # value > threshold
    "below": PredicateSpec(refs=("value",), numbers=("threshold",)),             # value < threshold
    "best": PredicateSpec(refs=("run",), ref_lists=("among",), numbers=("tolerance",)),  # run >= max(among) - tol
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
    """A parsed predicate: its type, references by role, numbers by name, and parts (``all_of``)."""

    kind: str
    refs: dict[str, RunRef] = field(default_factory=dict)
    ref_lists: dict[str, list[RunRef]] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    parts: list["Predicate"] = field(default_factory=list)

    def references(self) -> list[RunRef]:
        """Every run reference, in order of appearance, parts included."""
        found = [*self.refs.values(), *(ref for refs in self.ref_lists.values() for ref in refs)]
        return found + [ref for part in self.parts for ref in part.references()]


@dataclass
class Claim:
    """One claim of the paper: id, our wording, where the paper says it, its numbers, the predicate."""

    id: str
    text: str
    source: str
    paper: dict[str, Any]
    predicate: Predicate


@dataclass
class ClaimResult:
    """The verdict on one claim, the numbers it used (label, percent) and a one-line explanation."""

    id: str
    text: str
    source: str
    status: str
    numbers: list[tuple[str, float]]
    explanation: str
    missing: list[str] = field(default_factory=list)
    paper: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "source": self.source, "status": self.status,
                "numbers": [[label, value] for label, value in self.numbers], "explanation": self.explanation,
                "missing": self.missing, "paper": self.paper}


# --------------------------------------------------------------------------------------------------
# Loading and validation


def load_claims(path: str | Path) -> list[Claim]:
    """Read and validate a claims file; any problem raises :class:`InputError` (file, field, problem)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "claims file does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise InputError(path, None, f"malformed YAML: {err}") from None
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
    _require_mapping(entry, source, where, CLAIM_KEYS, CLAIM_KEYS)
    for key in ("id", "text", "source"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise InputError(source, f"{where}.{key}", "must be a non-empty string")
    if not ID_PATTERN.match(entry["id"]):
        raise InputError(source, f"{where}.id", f"{entry['id']!r} is not snake_case")
    paper = entry["paper"]
    if not isinstance(paper, dict) or not paper:
        raise InputError(source, f"{where}.paper", "must be a non-empty mapping of the paper's numbers")
    for key, value in paper.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InputError(source, f"{where}.paper.{key}", "must be a number (percent) or a short note")
    predicate = _parse_predicate(entry["predicate"], source, f"{where}.predicate", {})
    return Claim(entry["id"], entry["text"].strip(), entry["source"], dict(paper), predicate)


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
        predicate.numbers[name] = _parse_number(entry[name], source, f"{where}.{name}", name in NON_NEGATIVE)
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


def _parse_number(value: Any, source: str, where: str, non_negative: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(source, where, f"must be a number (fraction units: 0.01 = 1 AP point), got {value!r}")
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
# Checking

EPS = 1e-9  # comparisons at exactly the margin count as on the margin, not beyond it, whatever the rounding
ValueOf = Callable[[RunRef], float]


def metric_means(tidy: pd.DataFrame, source: str = "tidy table") -> dict[RunRef, float]:
    """Mean over seeds of every (dataset, model, run, metric) of the tidy table; NaN values are absent."""
    for column in TIDY_COLUMNS:
        if column not in tidy.columns:
            raise InputError(source, column, f"missing column; a tidy table has {', '.join(TIDY_COLUMNS)}")
    frame = tidy.assign(value=pd.to_numeric(tidy["value"], errors="coerce")).dropna(subset=["value"])
    means = frame.groupby(["dataset", "model", "variant", "metric"])["value"].mean()
    return {RunRef(*(str(part) for part in key)): float(value) for key, value in means.items()}


def check_claims(claims: list[Claim], tidy: pd.DataFrame, source: str = "tidy table") -> list[ClaimResult]:
    """Check every claim on the tidy table (seeds averaged)."""
    means = metric_means(tidy, source)
    return [check_claim(claim, means) for claim in claims]


def check_claim(claim: Claim, means: dict[RunRef, float]) -> ClaimResult:
    """One claim: "not run" when a reference is absent, else the predicate's verdict and explanation."""
    refs = _unique(claim.predicate.references())
    numbers = [(ref.label(), round(_shown(means[ref], ref.metric), 4)) for ref in refs if ref in means]
    missing = [f"{ref.scope} {ref.run} {ref.metric}" for ref in refs if ref not in means]
    result = ClaimResult(claim.id, claim.text, claim.source, "not run", numbers, "", missing, claim.paper)
    if missing:
        result.explanation = f"not in the table: {', '.join(missing)}"
        return result
    holds, result.explanation = evaluate(claim.predicate, means.__getitem__)
    result.status = "holds" if holds else "does not hold"
    return result


def evaluate(predicate: Predicate, value: ValueOf) -> tuple[bool, str]:
    """Whether ``predicate`` holds given every reference's value, and a one-line explanation."""
    return EVALUATORS[predicate.kind](predicate, value)


def _greater(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    left, right, margin = p.refs["left"], p.refs["right"], p.numbers["margin"]
    diff = value(left) - value(right)
    holds = diff > margin + EPS
    return holds, f"{_pair(left, right, value)}: {_signed(diff, left)} {'>' if holds else '<='} {_num(margin, left)}"


def _less(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    left, right, margin = p.refs["left"], p.refs["right"], p.numbers["margin"]
    diff = value(left) - value(right)
    holds = diff < -margin - EPS
    sign = "<" if holds else ">="
    return holds, f"{_pair(left, right, value)}: {_signed(diff, left)} {sign} {_signed(-margin, left)}"


def _close(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    left, right, tolerance = p.refs["left"], p.refs["right"], p.numbers["tolerance"]
    diff = value(left) - value(right)
    holds = abs(diff) <= tolerance + EPS
    sign = "<=" if holds else ">"
    return holds, f"{_pair(left, right, value)}: |{_signed(diff, left)}| {sign} {_num(tolerance, left)}"


def _above(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    ref, threshold = p.refs["value"], p.numbers["threshold"]
    holds = value(ref) > threshold + EPS
    return holds, f"{ref.label()} {_num(value(ref), ref)} {'>' if holds else '<='} {_num(threshold, ref)}"


def _below(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    ref, threshold = p.refs["value"], p.numbers["threshold"]
    holds = value(ref) < threshold - EPS
    return holds, f"{ref.label()} {_num(value(ref), ref)} {'<' if holds else '>='} {_num(threshold, ref)}"


def _best(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    run, tolerance = p.refs["run"], p.numbers["tolerance"]
    top = max((ref for ref in p.ref_lists["among"] if ref != run), key=value)
    gap = value(run) - value(top)
    holds = gap >= -tolerance - EPS
    sign = ">=" if holds else "<"
    return holds, f"{_pair(run, top, value, 'best other')}: {_signed(gap, run)} {sign} {_signed(-tolerance, run)}"


def _beats_all(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    run, margin = p.refs["run"], p.numbers["margin"]
    top = max((ref for ref in p.ref_lists["others"] if ref != run), key=value)
    gap = value(run) - value(top)
    holds = gap > margin + EPS
    sign = ">" if holds else "<="
    return holds, f"{_pair(run, top, value, 'strongest other')}: {_signed(gap, run)} {sign} {_num(margin, run)}"


def _increasing_up_to(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    refs, tolerance = p.ref_lists["runs"], p.numbers["tolerance"]
    values = [value(ref) for ref in refs]
    largest_drop = max(before - after for before, after in zip(values, values[1:]))
    rise = values[-1] - values[0]
    steps_ok, rise_ok = largest_drop <= tolerance + EPS, rise > EPS
    first = refs[0]
    chain = ", ".join(f"{_short(ref, first) if i else ref.label()} {_num(v, ref)}"
                      for i, (ref, v) in enumerate(zip(refs, values)))
    return steps_ok and rise_ok, (f"{chain}: largest step down {_num(max(largest_drop, 0.0), first)} "
                                  f"{'<=' if steps_ok else '>'} {_num(tolerance, first)}, "
                                  f"last - first {_signed(rise, first)} {'>' if rise_ok else '<='} 0")


def _all_of(p: Predicate, value: ValueOf) -> tuple[bool, str]:
    verdicts = [evaluate(part, value) for part in p.parts]
    failed = [text for holds, text in verdicts if not holds]
    if not failed:
        return True, f"all {len(verdicts)} hold: " + "; ".join(text for _, text in verdicts)
    return False, f"{len(failed)} of {len(verdicts)} fail: " + "; ".join(failed)


EVALUATORS: dict[str, Callable[[Predicate, ValueOf], tuple[bool, str]]] = {
    "greater": _greater, "less": _less, "close": _close, "above": _above, "below": _below, "best": _best,
    "beats_all": _beats_all, "increasing_up_to": _increasing_up_to, "all_of": _all_of,
}


# --------------------------------------------------------------------------------------------------
# Formatting and summaries


def _shown(value: float, metric: str) -> float:
    """A value as shown: percent for fractions (AP, ACC), unchanged for coefficients (rho)."""
    return value if metric in RAW_METRICS else 100.0 * value


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


def claims_table(results: list[ClaimResult]) -> pd.DataFrame:
    """One row per claim: id, source, status, claim text, the numbers used, the explanation."""
    rows = [{"id": r.id, "source": r.source, "status": r.status, "claim": r.text,
             "numbers": "; ".join(f"{label} {value:g}" for label, value in r.numbers),
             "explanation": r.explanation} for r in results]
    return pd.DataFrame(rows, columns=["id", "source", "status", "claim", "numbers", "explanation"])


def summary(results: list[ClaimResult]) -> dict[str, int]:
    """How many claims hold, do not hold, were not run."""
    return {status: sum(r.status == status for r in results) for status in STATUSES}
