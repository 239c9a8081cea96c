"""The rule set: how each row of the table is decided for a profile, and the outcome.

Three-valued logic (met, not met, unknown), advisories and the start timeline after
surgery. `prescreen` (`Profile` -> `Result`) runs it; `Result.as_dict` is the API shape.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import cast

from navigation.eligibility.criteria import (
    CRITERIA,
    CRITERIA_BY_ID,
    Criterion,
    Evidence,
    Outcome,
    Status,
)
from navigation.eligibility.profile import FIELD_NAMES, FIELD_WORDS, Profile

# Bump whenever a rule or its wording changes: a test pins the outcomes of a fixed grid of
# profiles and the table's data for each version (tests/eligibility/pins/).
RULE_SET_VERSION = "2026.12-1"


# --- the rules ---------------------------------------------------------------------------
# Three-valued logic: a condition is True, False or None (unknown), remembers which input
# fields would settle it, and says why in plain words. Any change below changes the outcome
# of some profile: bump RULE_SET_VERSION and re-pin the behaviour grid (see the README).


@dataclass(frozen=True, slots=True)
class Condition:
    value: bool | None
    # Unknown fields that would settle it. A condition that holds while its field is unknown
    # (a surgery date nobody gave) still names the field, so an open criterion asks for it.
    needs: frozenset[str] = frozenset()
    # Why it is True or False, as a sentence for the patient (unused while unknown).
    reason: str = ""


Reason = str | Callable[[object], str]


def _say(reason: Reason, value: object) -> str:
    return reason(value) if callable(reason) else reason


def _is(
    profile: Profile,
    name: str,
    test: Callable[[object], bool],
    *,
    yes: Reason = "",
    no: Reason = "",
) -> Condition:
    """A test on one field; unknown (needing that field) while the field is unknown."""
    value = profile.stage_group if name == "stage" else getattr(profile, name)
    if value is None:
        return Condition(None, frozenset({name}))
    passed = test(value)
    return Condition(passed, reason=_say(yes if passed else no, value))


def _spread_words(profile: Profile) -> str:
    if profile.metastatic is True:
        return "The cancer has spread to distant parts of the body"
    return (
        "The cancer has spread to the lining of the abdomen (the peritoneum), "
        "which counts as distant spread"
    )


def _spread(profile: Profile, *, wanted: bool, yes: str = "", no: str = "") -> Condition:
    """Distant spread (see `Profile.spread`) is `wanted`."""
    spread = profile.spread
    if spread is None:
        needs = {"metastatic"} | (
            {"peritoneal_metastasis"} if profile.peritoneal_metastasis is None else set()
        )
        return Condition(None, frozenset(needs))
    passed = spread is wanted
    return Condition(passed, reason=yes if passed else no)


def _recent_surgery(profile: Profile, today: date) -> Condition:
    """At most POST_SURGERY_DAYS since the operation; an unknown date counts as recent."""
    if profile.surgery_date is None:
        return Condition(True, frozenset({"surgery_date"}))
    if (today - profile.surgery_date).days > POST_SURGERY_DAYS:
        return Condition(
            False,
            reason="Your operation was more than a year ago, so this post-surgery setting "
            "no longer applies.",
        )
    return Condition(True)


def _all(*conditions: Condition, met: str = "") -> Condition:
    """True when all are; False (with the first refusal's reason) when any is False."""
    for condition in conditions:
        if condition.value is False:
            return Condition(False, reason=condition.reason)
    if all(c.value is True for c in conditions):
        return Condition(True, reason=met)
    return Condition(None, frozenset().union(*(c.needs for c in conditions)))


def _any(*conditions: Condition, none: str = "") -> Condition:
    """True (with the first reason given) when any is; False when none is."""
    for condition in conditions:
        if condition.value is True:
            return Condition(True, reason=condition.reason)
    if all(c.value is False for c in conditions):
        return Condition(False, reason=none)
    return Condition(None, frozenset().union(*(c.needs for c in conditions if c.value is None)))


def _lines(n: object) -> str:
    return {0: "no line", 1: "one line"}.get(n, f"{n} lines")  # type: ignore[call-overload]


def _no_line_yet(p: Profile) -> Condition:
    """Both first-line settings ask the same: no line of treatment given yet."""
    return _is(
        p,
        "prior_lines",
        lambda v: v == 0,
        no=lambda v: (
            f"You have already had {_lines(v)} of treatment; this setting is for the first line."
        ),
    )


def post_d2_gastrectomy(p: Profile, today: date) -> Condition:
    within = " within the last year" if p.surgery_date else ""
    return _all(
        _is(
            p,
            "gastrectomy",
            lambda v: v == "d2",
            no=lambda v: (
                "You have not had an operation to remove the cancer, so this post-surgery "
                "setting does not apply."
                if v == "none"
                else "Your operation was not a gastrectomy with D2 lymph node removal, "
                "which this setting is about."
            ),
        ),
        _is(
            p,
            "curative_intent",
            lambda v: v is True,
            no="The operation was not meant to remove all of the cancer; this setting is "
            "for curative surgery.",
        ),
        _is(
            p,
            "stage",
            lambda v: v in ("II", "III"),
            no=lambda v: (
                f"Stage {p.stage} is earlier than the stage II–III this setting is for."
                if v == "I"
                else f"Stage {p.stage} is beyond the stage II–III this setting is for."
            ),
        ),
        _spread(
            p,
            wanted=False,
            no=f"{_spread_words(p)}, so this post-surgery setting does not apply.",
        ),
        _recent_surgery(p, today),
        met=(
            f"You had a D2 gastrectomy meant to remove all of the cancer{within}, at stage "
            f"{p.stage}, with no distant spread, so this setting applies"
            + ("." if p.surgery_date else " if the operation was within the last year.")
        ),
    )


def locally_advanced_first_line(p: Profile, today: date) -> Condition:
    return _all(
        _spread(
            p,
            wanted=False,
            no=f"{_spread_words(p)}, so the locally advanced setting does not apply.",
        ),
        _is(
            p,
            "stage",
            lambda v: v in ("II", "III", "IVA"),
            no=lambda v: (
                f"Stage {p.stage} is earlier than the locally advanced disease this setting "
                "is for."
                if v == "I"
                else f"Stage {p.stage} means the cancer has spread, so the locally advanced "
                "setting does not apply."
            ),
        ),
        _is(
            p,
            "gastrectomy",
            lambda v: v == "none",
            no="You have had an operation on the cancer; this setting is for treatment "
            "without an operation.",
        ),
        _no_line_yet(p),
        _is(
            p,
            "first_line_regimen",
            lambda v: v in FIRST_LINE_REGIMENS,
            no=lambda v: (
                "No chemotherapy is planned; this setting is CIK together with FOLFOX, "
                "XELOX or SOX."
                if v == "none"
                else f"{'FLOT' if v == 'FLOT' else 'The planned chemotherapy'} is not one of "
                "the combinations this setting names (FOLFOX, XELOX or SOX)."
            ),
        ),
        met=(
            f"The cancer is locally advanced (stage {p.stage}, no distant spread), has not "
            f"been operated on, and first-line {p.first_line_regimen} is planned, so this "
            "setting applies."
        ),
    )


def metastatic_first_line(p: Profile, today: date) -> Condition:
    spread = _any(
        _spread(p, wanted=True, yes=_spread_words(p)),
        _is(
            p,
            "stage",
            lambda v: v == "IV",
            yes=f"Stage {p.stage} means the cancer has spread to distant parts of the body",
        ),
        none=f"The cancer has not spread to distant parts of the body (stage {p.stage}), "
        "so this setting for spread cancer does not apply.",
    )
    return _all(
        spread,
        _no_line_yet(p),
        met=f"{spread.reason}, and no line of treatment has been given yet, so this "
        "first-line setting applies.",
    )


def her2_trastuzumab(p: Profile, today: date) -> Condition:
    return _all(
        _is(
            p,
            "her2_status",
            lambda v: v == "positive",
            no=lambda v: (
                f"The HER2 test is {'borderline' if v == 'equivocal' else v}; this "
                "row is about HER2-positive cancer."
            ),
        ),
        _is(
            p,
            "trastuzumab",
            lambda v: v is True,
            no="Trastuzumab is not part of the treatment; this row is about treatment with it.",
        ),
        met="The cancer is HER2-positive and trastuzumab is part of the treatment, so this "
        "row applies.",
    )


def refractory_post_second_line(p: Profile, today: date) -> Condition:
    return _is(
        p,
        "prior_lines",
        lambda v: v >= 2,  # type: ignore[operator]
        yes=lambda v: (
            f"You have had {_lines(v)} of treatment, so this row for cancer that "
            "grew after a second line applies."
        ),
        no=lambda v: (
            (
                "You have not had a line of treatment yet"
                if v == 0
                else "You have had one line of treatment"
            )
            + "; this row is for cancer that grew after a second line."
        ),
    )


def diffuse_signet_ring(p: Profile, today: date) -> Condition:
    return _any(
        _is(
            p,
            "lauren_type",
            lambda v: v == "diffuse",
            yes="The pathology report gives the diffuse type, a group with limited data.",
        ),
        _is(
            p,
            "signet_ring",
            lambda v: v is True,
            yes="The pathology report mentions signet ring cells, a group with limited data.",
        ),
        none="The pathology report shows neither the diffuse type nor signet ring cells.",
    )


def poor_performance_or_malnutrition(p: Profile, today: date) -> Condition:
    return _any(
        _is(
            p,
            "ecog",
            lambda v: v >= 3,  # type: ignore[operator]
            yes="Daily activity is very limited (in bed or a chair more than half the day), "
            "so CIK therapy is generally not offered.",
        ),
        _is(
            p,
            "severe_malnutrition",
            lambda v: v is True,
            yes="Severe weight loss or malnutrition means CIK therapy is generally not offered.",
        ),
        none="Daily activity and nutrition are good enough: you are not excluded on these "
        "grounds.",
    )


RULES: dict[str, Callable[[Profile, date], Condition]] = {
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
FIRST_LINE_REGIMENS = ("FOLFOX", "XELOX", "SOX")
# More days than this since the operation: outside the post-surgery setting.
POST_SURGERY_DAYS = 365
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
WINDOW_CLOSED_ADVISORY = (
    "The usual start window after surgery (blood collection 3–4 weeks after the operation) "
    "has passed. The specialist centre decides the timing."
)
DISCLAIMER = (
    "This content is for informational purposes only and does not constitute medical advice. "
    "Always consult a qualified oncologist before making treatment decisions. "
    "CancerFax does not guarantee treatment access, eligibility, or clinical outcome."
)


TIMELINE_LABELS: dict[str, str] = {
    "blood_collection_from": "Blood collection, from",
    "blood_collection_to": "Blood collection, until",
    "first_infusion_from": "First infusion, from",
    "first_infusion_to": "First infusion, until",
}


def unknown_reason(needs: frozenset[str]) -> str:
    words = [FIELD_WORDS[name] for name in FIELD_NAMES if name in needs]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"Not known yet: we don't know {listed}."


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


def _window_open(profile: Profile, today: date) -> bool:
    assert profile.surgery_date is not None
    return (today - profile.surgery_date).days <= TIMELINE_DAYS["blood_collection_to"]


def plan_timeline(
    profile: Profile, statuses: Mapping[str, Status], today: date
) -> Timeline | None:
    """The start dates, only while the blood-collection window after surgery is still open."""
    if statuses["post_d2_gastrectomy"] is not Status.MET or profile.surgery_date is None:
        return None
    if not _window_open(profile, today):
        return None
    return Timeline(
        **{key: profile.surgery_date + timedelta(days=d) for key, d in TIMELINE_DAYS.items()}
    )


def advise(profile: Profile, statuses: Mapping[str, Status], today: date) -> tuple[str, ...]:
    advisories = []
    if profile.peritoneal_metastasis is True:
        advisories.append(PERITONEAL_ADVISORY)
    if (
        statuses["post_d2_gastrectomy"] is Status.MET
        and profile.surgery_date is not None
        and not _window_open(profile, today)
    ):
        advisories.append(WINDOW_CLOSED_ADVISORY)
    return tuple(advisories)


def timeline_explanation(result: Mapping[str, object]) -> str:
    """Why a result (in the API's shape, as cases store it) has a timeline or none."""
    if result.get("timeline"):
        return "Counted from the date of the operation, as the source document describes."
    criteria = cast(list[Mapping[str, object]], result.get("criteria") or [])
    status = next(
        (c.get("status") for c in criteria if c.get("id") == "post_d2_gastrectomy"), None
    )
    if status == Status.NOT_MET:
        return "No timeline: the post-surgery setting does not apply."
    if status != Status.MET:
        return "No timeline: whether the post-surgery setting applies is not known yet."
    if WINDOW_CLOSED_ADVISORY in cast(list[str], result.get("advisories") or []):
        return "No timeline: " + WINDOW_CLOSED_ADVISORY
    return "No timeline: the date of the operation is not known."


# --- the result --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    status: Status
    # Unknown input fields this criterion needs to be decided (empty once decided).
    needs: frozenset[str] = frozenset()
    # Why it is met, not met or unknown for this profile, in plain words.
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.criterion.id,
            "status": self.status.value,
            "evidence": self.criterion.evidence.value,
            "factor": self.criterion.factor,
            "note": self.criterion.note,
            "reason": self.reason,
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

    `today` is the server's local date (callers pass `timezone.localdate()`): the time since
    surgery and the blood-collection window count from it.
    """
    today = today or date.today()
    decided: list[CriterionResult] = []
    for criterion in CRITERIA:
        condition = RULES[criterion.id](profile, today)
        status = {True: Status.MET, False: Status.NOT_MET, None: Status.UNKNOWN}[condition.value]
        reason = unknown_reason(condition.needs) if status is Status.UNKNOWN else condition.reason
        decided.append(CriterionResult(criterion, status, condition.needs, reason))
    statuses = {c.criterion.id: c.status for c in decided}
    outcome, provisional = decide_outcome(statuses)
    missing = sorted(frozenset().union(*(c.needs for c in decided)))
    return Result(
        outcome=outcome,
        provisional=provisional,
        criteria=tuple(decided),
        missing=tuple(missing),
        timeline=plan_timeline(profile, statuses, today),
        advisories=advise(profile, statuses, today),
        profile=profile,
    )
