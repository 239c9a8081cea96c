"""The documented CIK gastric cancer eligibility table, and the pre-screen that decides it.

Pure Python: no Django import. The public page renders its eligibility table from
`CRITERIA`, and the pre-screen engine decides each row, so the two cannot drift apart.
Wording of `factor`, `evidence_label` and `note` is the source document's, exactly.

Public entry points: `parse_profile` (raw JSON-like input -> `Profile` or errors),
`prescreen` (`Profile` -> `Result`), `Result.as_dict` (the API shape), `profile_as_query`
and `profile_from_query` (the query-string contract between the checker and `/submit/`),
and `FIELD_DOCUMENTS` (which record would settle an unknown answer).
"""

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import StrEnum

# Bump whenever a rule or its wording changes (a test pins a checksum of the table).
RULE_SET_VERSION = "2026.11-1"


class Evidence(StrEnum):
    STRONG = "strong"
    GOOD = "good"
    AVAILABLE = "available"
    LIMITED = "limited"
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    factor: str
    evidence: Evidence
    evidence_label: str
    note: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        id="post_d2_gastrectomy",
        factor="Post-D2 gastrectomy (Stage II–III, curative intent)",
        evidence=Evidence.GOOD,
        evidence_label="Good evidence",
        note="Adjuvant CIK reduces recurrence; initiate 3–4 weeks post-surgery",
    ),
    Criterion(
        id="locally_advanced_first_line",
        factor="Locally advanced — first-line FOLFOX/XELOX/SOX",
        evidence=Evidence.STRONG,
        evidence_label="Strong evidence",
        note="Best-evidenced setting — combination improves OS and DCR",
    ),
    Criterion(
        id="metastatic_first_line",
        factor="Metastatic gastric cancer — first-line",
        evidence=Evidence.AVAILABLE,
        evidence_label="Evidence available",
        note="OS benefit demonstrated in combination RCTs",
    ),
    Criterion(
        id="her2_trastuzumab",
        factor="HER2-positive + trastuzumab-based therapy",
        evidence=Evidence.LIMITED,
        evidence_label="Limited data",
        note="Biologically plausible combination; specialist consultation required",
    ),
    Criterion(
        id="refractory_post_second_line",
        factor="Post-second-line treatment (refractory)",
        evidence=Evidence.LIMITED,
        evidence_label="Limited evidence",
        note="Some palliative evidence exists; clinical assessment required",
    ),
    Criterion(
        id="diffuse_signet_ring",
        factor="Signet ring cell / diffuse-type gastric cancer",
        evidence=Evidence.LIMITED,
        evidence_label="Limited data",
        note="Separate subgroup data is limited — discuss with treating oncologist",
    ),
    Criterion(
        id="poor_performance_or_malnutrition",
        factor="ECOG PS ≥3 or severe malnutrition",
        evidence=Evidence.EXCLUDED,
        evidence_label="Generally excluded",
        note="Insufficient immune reserve for effective CIK manufacturing and activity",
    ),
)

CRITERIA_BY_ID: dict[str, Criterion] = {criterion.id: criterion for criterion in CRITERIA}


# --- the profile -------------------------------------------------------------------------

STAGE_GROUPS = ("I", "II", "III", "IV")
# A stage is its group optionally followed by a sub-stage letter ("IIIA"); rules use the group.
STAGE_PATTERN = re.compile(r"^(I|II|III|IV)([ABC])?$")
STAGE_VALUES = tuple(group + sub for group in STAGE_GROUPS for sub in ("", "A", "B", "C"))
GASTRECTOMY_VALUES = ("d2", "other", "none")
REGIMEN_VALUES = ("FOLFOX", "XELOX", "SOX", "FLOT", "other", "none")
HER2_VALUES = ("positive", "negative", "equivocal")
LAUREN_VALUES = ("intestinal", "diffuse", "mixed", "indeterminate")
ECOG_VALUES = (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class Profile:
    """What is known about a patient. Every field is optional: None means "unknown".

    Build one from raw input with `parse_profile`, which checks every value against the
    contract's lists; the rules read a stage they cannot recognise as unknown.
    """

    stage: str | None = None
    gastrectomy: str | None = None
    curative_intent: bool | None = None
    surgery_date: date | None = None
    metastatic: bool | None = None
    peritoneal_metastasis: bool | None = None
    prior_lines: int | None = None
    first_line_regimen: str | None = None
    her2_status: str | None = None
    trastuzumab: bool | None = None
    lauren_type: str | None = None
    signet_ring: bool | None = None
    ecog: int | None = None
    severe_malnutrition: bool | None = None

    @property
    def stage_group(self) -> str | None:
        match = STAGE_PATTERN.match(self.stage or "")
        return match.group(1) if match else None

    def known(self) -> dict[str, object]:
        """The known answers, JSON-ready (dates as YYYY-MM-DD), in field order."""
        answers: dict[str, object] = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if value is not None:
                answers[name] = value.isoformat() if isinstance(value, date) else value
        return answers


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Profile))


@dataclass(frozen=True, slots=True)
class DocumentHint:
    """The record that would settle an unknown answer: a `records` document category
    (by value, so this module needs no import) and the plain words a patient understands."""

    category: str
    words: str


FIELD_DOCUMENTS: dict[str, DocumentHint] = {
    "stage": DocumentHint("imaging", "your staging scan (CT or PET) report or pathology report"),
    "gastrectomy": DocumentHint("surgery", "your surgical (operation) report"),
    "curative_intent": DocumentHint(
        "surgery", "your surgical report or hospital discharge letter"
    ),
    "surgery_date": DocumentHint("surgery", "your surgical report"),
    "metastatic": DocumentHint("imaging", "your staging scan (CT or PET) report"),
    "peritoneal_metastasis": DocumentHint(
        "imaging", "your staging scan (CT or PET) or laparoscopy report"
    ),
    "prior_lines": DocumentHint(
        "chemotherapy", "your chemotherapy history (a summary or letter from your oncologist)"
    ),
    "first_line_regimen": DocumentHint("chemotherapy", "your oncologist's chemotherapy plan"),
    "her2_status": DocumentHint("her2", "your HER2 test report"),
    "trastuzumab": DocumentHint("chemotherapy", "your oncologist's treatment plan"),
    "lauren_type": DocumentHint(
        "pathology", "your pathology report (from the biopsy or the operation)"
    ),
    "signet_ring": DocumentHint("pathology", "your pathology report"),
    "ecog": DocumentHint(
        "other", "a recent letter from your oncologist describing your day-to-day activity"
    ),
    "severe_malnutrition": DocumentHint(
        "other", "a recent clinic letter noting your weight and nutrition"
    ),
}


# --- parsing raw input -------------------------------------------------------------------

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLEAN_FIELDS = (
    "curative_intent",
    "metastatic",
    "peritoneal_metastasis",
    "trastuzumab",
    "signet_ring",
    "severe_malnutrition",
)
_CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "gastrectomy": GASTRECTOMY_VALUES,
    "first_line_regimen": REGIMEN_VALUES,
    "her2_status": HER2_VALUES,
    "lauren_type": LAUREN_VALUES,
}


def _choices(values: tuple[object, ...]) -> str:
    return ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


def _check_value(name: str, value: object, today: date) -> tuple[object, str | None]:
    """Validate one known value: (value to store, None) or (None, error message)."""
    if name == "stage":
        if isinstance(value, str) and STAGE_PATTERN.match(value):
            return value, None
        return None, 'Must be a stage: "I", "II", "III" or "IV", optionally followed by A, B or C.'
    if name in _CHOICE_FIELDS:
        allowed = _CHOICE_FIELDS[name]
        if isinstance(value, str) and value in allowed:
            return value, None
        return None, f"Must be one of {_choices(allowed)}."
    if name in _BOOLEAN_FIELDS:
        # JSON true/false only: 1, "yes" and "true" are not booleans.
        if isinstance(value, bool):
            return value, None
        return None, "Must be true or false."
    if name in ("ecog", "prior_lines"):
        # bool is a subclass of int, and 2.0 is not an integer: check the exact type.
        if type(value) is not int:
            return None, "Must be a whole number."
        if name == "ecog" and value not in ECOG_VALUES:
            return None, "Must be between 0 and 4."
        if name == "prior_lines" and value < 0:
            return None, "Must be 0 or more."
        return value, None
    if name == "surgery_date":
        if not isinstance(value, str) or not _DATE_PATTERN.match(value):
            return None, "Must be a date written YYYY-MM-DD."
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return None, "Must be a real calendar date written YYYY-MM-DD."
        if parsed > today:
            return None, "Must not be in the future."
        return parsed, None
    raise AssertionError(f"no check for {name}")  # pragma: no cover - FIELD_NAMES is closed


def parse_profile(
    data: object, *, today: date | None = None
) -> tuple[Profile | None, dict[str, list[str]]]:
    """Validate raw JSON-like input into a Profile.

    Missing fields and nulls are unknown. Returns (profile, {}) or (None, errors), where
    errors names every bad field (`__all__` when the input is not an object at all).
    """
    if not isinstance(data, Mapping):
        return None, {"__all__": ["Expected a JSON object of answers."]}
    today = today or date.today()
    values: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if not isinstance(name, str):
            errors.setdefault("__all__", []).append("Field names must be strings.")
            continue
        if name not in FIELD_NAMES:
            close = difflib.get_close_matches(name, FIELD_NAMES, n=1, cutoff=0.5)
            hint = f' Did you mean "{close[0]}"?' if close else ""
            errors[name] = [f"Unknown field.{hint}"]
            continue
        if value is None:
            continue
        checked, error = _check_value(name, value, today)
        if error:
            errors[name] = [error]
        else:
            values[name] = checked
    if errors:
        return None, errors
    return Profile(**values), {}


def profile_as_query(profile: Profile) -> dict[str, str]:
    """The known answers as query parameters, with the engine's names and values:
    booleans "true"/"false", integers in digits, dates YYYY-MM-DD; unknowns left out."""
    query: dict[str, str] = {}
    for name, value in profile.known().items():
        if isinstance(value, bool):
            query[name] = "true" if value else "false"
        else:
            query[name] = str(value)
    return query


def profile_from_query(
    params: Mapping[str, str], *, today: date | None = None
) -> tuple[Profile | None, dict[str, list[str]]]:
    """Read answers written by `profile_as_query` (or typed into a form): strings only.

    Empty strings are unknown; other parameters than the profile's fields are ignored,
    since a page's query string may carry more than the answers.
    """
    data: dict[str, object] = {}
    for name in FIELD_NAMES:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        if name in _BOOLEAN_FIELDS:
            data[name] = {"true": True, "false": False}.get(raw, raw)
        elif name in ("ecog", "prior_lines"):
            data[name] = int(raw) if re.fullmatch(r"-?\d{1,6}", raw) else raw
        else:
            data[name] = raw
    return parse_profile(data, today=today)


# --- the rules ---------------------------------------------------------------------------
# Three-valued logic: a condition is True, False or None (unknown), and remembers which
# input fields it would need to be decided. Any change below changes the outcome of some
# profile: bump RULE_SET_VERSION (a test pins a checksum of the rules and the table).


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    STRONG = "strong"
    GOOD = "good"
    AVAILABLE = "available"
    LIMITED = "limited"
    EXCLUDED = "excluded"
    NOT_COVERED = "not_covered"
    INSUFFICIENT_INFORMATION = "insufficient_information"


@dataclass(frozen=True, slots=True)
class Condition:
    value: bool | None
    needs: frozenset[str] = frozenset()


def _is(profile: Profile, name: str, test: Callable[[object], bool]) -> Condition:
    """A test on one field; unknown (needing that field) while the field is unknown."""
    value = profile.stage_group if name == "stage" else getattr(profile, name)
    if value is None:
        return Condition(None, frozenset({name}))
    return Condition(test(value))


def _all(*conditions: Condition) -> Condition:
    if any(c.value is False for c in conditions):
        return Condition(False)
    if all(c.value is True for c in conditions):
        return Condition(True)
    return Condition(None, frozenset().union(*(c.needs for c in conditions if c.value is None)))


def _any(*conditions: Condition) -> Condition:
    if any(c.value is True for c in conditions):
        return Condition(True)
    if all(c.value is False for c in conditions):
        return Condition(False)
    return Condition(None, frozenset().union(*(c.needs for c in conditions if c.value is None)))


def post_d2_gastrectomy(p: Profile) -> Condition:
    return _all(
        _is(p, "gastrectomy", lambda v: v == "d2"),
        _is(p, "curative_intent", lambda v: v is True),
        _is(p, "stage", lambda v: v in ("II", "III")),
        _is(p, "metastatic", lambda v: v is False),
    )


def locally_advanced_first_line(p: Profile) -> Condition:
    return _all(
        _is(p, "metastatic", lambda v: v is False),
        _is(p, "stage", lambda v: v in ("II", "III")),
        _is(p, "gastrectomy", lambda v: v == "none"),
        _is(p, "prior_lines", lambda v: v == 0),
        _is(p, "first_line_regimen", lambda v: v in ("FOLFOX", "XELOX", "SOX")),
    )


def metastatic_first_line(p: Profile) -> Condition:
    return _all(
        _any(
            _is(p, "metastatic", lambda v: v is True),
            _is(p, "stage", lambda v: v == "IV"),
        ),
        _is(p, "prior_lines", lambda v: v == 0),
    )


def her2_trastuzumab(p: Profile) -> Condition:
    return _all(
        _is(p, "her2_status", lambda v: v == "positive"),
        _is(p, "trastuzumab", lambda v: v is True),
    )


def refractory_post_second_line(p: Profile) -> Condition:
    return _is(p, "prior_lines", lambda v: v >= 2)


def diffuse_signet_ring(p: Profile) -> Condition:
    return _any(
        _is(p, "lauren_type", lambda v: v == "diffuse"),
        _is(p, "signet_ring", lambda v: v is True),
    )


def poor_performance_or_malnutrition(p: Profile) -> Condition:
    return _any(
        _is(p, "ecog", lambda v: v >= 3),
        _is(p, "severe_malnutrition", lambda v: v is True),
    )


RULES: dict[str, Callable[[Profile], Condition]] = {
    "post_d2_gastrectomy": post_d2_gastrectomy,
    "locally_advanced_first_line": locally_advanced_first_line,
    "metastatic_first_line": metastatic_first_line,
    "her2_trastuzumab": her2_trastuzumab,
    "refractory_post_second_line": refractory_post_second_line,
    "diffuse_signet_ring": diffuse_signet_ring,
    "poor_performance_or_malnutrition": poor_performance_or_malnutrition,
}
EXCLUDING_CRITERION = "poor_performance_or_malnutrition"
SETTING_CRITERIA = (
    "post_d2_gastrectomy",
    "locally_advanced_first_line",
    "metastatic_first_line",
    "refractory_post_second_line",
)
# Criteria that can only lower the outcome: while unknown, an evidence outcome is provisional.
MODIFYING_CRITERIA = ("her2_trastuzumab", "diffuse_signet_ring", EXCLUDING_CRITERION)
EVIDENCE_ORDER = (Evidence.STRONG, Evidence.GOOD, Evidence.AVAILABLE, Evidence.LIMITED)
# Days after surgery: blood collection 3-4 weeks, first infusion 5-7 weeks (the seed's FAQ).
TIMELINE_DAYS = {
    "blood_collection_from": 21,
    "blood_collection_to": 28,
    "first_infusion_from": 35,
    "first_infusion_to": 49,
}
PERITONEAL_ADVISORY = (
    "Systemic CIK therapy has limited direct efficacy against established peritoneal disease "
    "given the immunosuppressive peritoneal microenvironment. Some specialist centres in China "
    "are exploring intraperitoneal CIK delivery, but this remains investigational. CancerFax "
    "can identify centres conducting trials in this area for eligible patients."
)
DISCLAIMER = (
    "This content is for informational purposes only and does not constitute medical advice. "
    "Always consult a qualified oncologist before making treatment decisions. "
    "CancerFax does not guarantee treatment access, eligibility, or clinical outcome."
)


@dataclass(frozen=True, slots=True)
class Timeline:
    """When adjuvant CIK would start after surgery, as the source document describes it."""

    blood_collection_from: date
    blood_collection_to: date
    first_infusion_from: date
    first_infusion_to: date

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name).isoformat() for f in fields(self)}


def decide_outcome(statuses: Mapping[str, Status]) -> tuple[Outcome, bool]:
    """The overall outcome and whether it is provisional, from the criteria's statuses."""
    if statuses[EXCLUDING_CRITERION] is Status.MET:
        return Outcome.EXCLUDED, False
    settings = [statuses[cid] for cid in SETTING_CRITERIA]
    if Status.MET not in settings:
        if Status.UNKNOWN in settings:
            return Outcome.INSUFFICIENT_INFORMATION, False
        return Outcome.NOT_COVERED, False
    met = {
        CRITERIA_BY_ID[cid].evidence
        for cid, status in statuses.items()
        if status is Status.MET and cid != EXCLUDING_CRITERION
    }
    weakest = max(met, key=EVIDENCE_ORDER.index)
    provisional = any(statuses[cid] is Status.UNKNOWN for cid in MODIFYING_CRITERIA)
    return Outcome(weakest.value), provisional


def plan_timeline(profile: Profile, statuses: Mapping[str, Status]) -> Timeline | None:
    if statuses["post_d2_gastrectomy"] is not Status.MET or profile.surgery_date is None:
        return None
    return Timeline(
        **{key: profile.surgery_date + timedelta(days=d) for key, d in TIMELINE_DAYS.items()}
    )


def advise(profile: Profile) -> tuple[str, ...]:
    return (PERITONEAL_ADVISORY,) if profile.peritoneal_metastasis is True else ()


# --- the result --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    status: Status
    # Unknown input fields this criterion needs to be decided (empty once decided).
    needs: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.criterion.id,
            "status": self.status.value,
            "evidence": self.criterion.evidence.value,
            "factor": self.criterion.factor,
            "note": self.criterion.note,
        }


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    provisional: bool
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...]
    timeline: Timeline | None
    advisories: tuple[str, ...]
    rule_set_version: str = RULE_SET_VERSION
    disclaimer: str = DISCLAIMER
    profile: Profile = field(default_factory=Profile)

    def status(self, criterion_id: str) -> Status:
        return next(c.status for c in self.criteria if c.criterion.id == criterion_id)

    def as_dict(self) -> dict[str, object]:
        """The JSON API's shape."""
        return {
            "outcome": self.outcome.value,
            "provisional": self.provisional,
            "criteria": [c.as_dict() for c in self.criteria],
            "missing": list(self.missing),
            "timeline": self.timeline.as_dict() if self.timeline is not None else None,
            "advisories": list(self.advisories),
            "rule_set_version": self.rule_set_version,
            "disclaimer": self.disclaimer,
        }


def prescreen(profile: Profile, *, today: date | None = None) -> Result:
    """Decide every criterion of the table for this profile, and the overall outcome.

    `today` is accepted for callers that pass a clock; no rule depends on it yet, and
    the profile's dates are checked against it by `parse_profile`.
    """
    decided: list[CriterionResult] = []
    for criterion in CRITERIA:
        condition = RULES[criterion.id](profile)
        status = {True: Status.MET, False: Status.NOT_MET, None: Status.UNKNOWN}[condition.value]
        decided.append(CriterionResult(criterion, status, condition.needs))
    statuses = {c.criterion.id: c.status for c in decided}
    outcome, provisional = decide_outcome(statuses)
    missing = sorted(frozenset().union(*(c.needs for c in decided)))
    return Result(
        outcome=outcome,
        provisional=provisional,
        criteria=tuple(decided),
        missing=tuple(missing),
        timeline=plan_timeline(profile, statuses),
        advisories=advise(profile),
        profile=profile,
    )


__all__ = [
    "CRITERIA",
    "CRITERIA_BY_ID",
    "DISCLAIMER",
    "FIELD_DOCUMENTS",
    "FIELD_NAMES",
    "RULE_SET_VERSION",
    "Criterion",
    "CriterionResult",
    "DocumentHint",
    "Evidence",
    "Outcome",
    "Profile",
    "Result",
    "Status",
    "Timeline",
    "parse_profile",
    "prescreen",
    "profile_as_query",
    "profile_from_query",
]
