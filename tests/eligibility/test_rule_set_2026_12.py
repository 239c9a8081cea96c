"""Rule set 2026.12-1: the branches the clinical review changed, row by row.

Peritoneal spread is distant spread, IVA is locally advanced (M0), only real AJCC stages
are accepted, the post-surgery setting ends a year after the operation, and the timeline
is offered only while the blood-collection window is open.
"""

from datetime import date, timedelta

import pytest

from navigation.eligibility import (
    PERITONEAL_ADVISORY,
    RULE_SET_VERSION,
    STAGE_VALUES,
    WINDOW_CLOSED_ADVISORY,
    Outcome,
    Profile,
    Status,
    parse_profile,
    prescreen,
    timeline_explanation,
)

MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN
TODAY = date(2026, 12, 2)
CLEAR = {
    "her2_status": "negative",
    "trastuzumab": False,
    "lauren_type": "intestinal",
    "signet_ring": False,
    "ecog": 1,
    "severe_malnutrition": False,
}
UNOPERATED = {"gastrectomy": "none", "prior_lines": 0, "first_line_regimen": "FOLFOX", **CLEAR}
POST_D2 = {
    "stage": "IIB",
    "gastrectomy": "d2",
    "curative_intent": True,
    "metastatic": False,
    "prior_lines": 0,
    **CLEAR,
}


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


# (name, answers, {criterion: status}, outcome)
ROWS = [
    (
        "stage III, spread only to the peritoneum, FOLFOX: the metastatic setting",
        {"stage": "III", "metastatic": False, "peritoneal_metastasis": True, **UNOPERATED},
        {
            "post_d2_gastrectomy": NOT_MET,
            "locally_advanced_first_line": NOT_MET,
            "metastatic_first_line": MET,
        },
        Outcome.AVAILABLE,
    ),
    (
        "peritoneal spread with distant spread unanswered is still spread",
        {"stage": "III", "peritoneal_metastasis": True, **UNOPERATED},
        {"locally_advanced_first_line": NOT_MET, "metastatic_first_line": MET},
        Outcome.AVAILABLE,
    ),
    (
        "no distant spread and the peritoneum unanswered reads as no spread",
        {"stage": "III", "metastatic": False, **UNOPERATED},
        {"locally_advanced_first_line": MET, "metastatic_first_line": NOT_MET},
        Outcome.STRONG,
    ),
    (
        "distant spread unknown and the peritoneum clear: still unknown",
        {"stage": "III", "peritoneal_metastasis": False, **UNOPERATED},
        {"locally_advanced_first_line": UNKNOWN, "metastatic_first_line": UNKNOWN},
        Outcome.INSUFFICIENT_INFORMATION,
    ),
    (
        "IVA without spread is locally advanced: the best-evidenced setting",
        {"stage": "IVA", "metastatic": False, **UNOPERATED},
        {
            "post_d2_gastrectomy": NOT_MET,
            "locally_advanced_first_line": MET,
            "metastatic_first_line": NOT_MET,
        },
        Outcome.STRONG,
    ),
    (
        "IVA after a D2 gastrectomy is outside the post-surgery setting",
        {**POST_D2, "stage": "IVA"},
        {"post_d2_gastrectomy": NOT_MET, "metastatic_first_line": NOT_MET},
        Outcome.NOT_COVERED,
    ),
    (
        "IVA with spread unknown is not yet decided for the metastatic setting",
        {"stage": "IVA", "prior_lines": 0},
        {"metastatic_first_line": UNKNOWN},
        Outcome.INSUFFICIENT_INFORMATION,
    ),
    (
        "IVB is metastatic even when distant spread was answered no",
        {"stage": "IVB", "metastatic": False, **UNOPERATED},
        {
            "post_d2_gastrectomy": NOT_MET,
            "locally_advanced_first_line": NOT_MET,
            "metastatic_first_line": MET,
        },
        Outcome.AVAILABLE,
    ),
    (
        "IV is metastatic",
        {"stage": "IV", **UNOPERATED},
        {"locally_advanced_first_line": NOT_MET, "metastatic_first_line": MET},
        Outcome.AVAILABLE,
    ),
    (
        "FLOT is not one of the named first-line combinations",
        {"stage": "III", "metastatic": False, **UNOPERATED, "first_line_regimen": "FLOT"},
        {"locally_advanced_first_line": NOT_MET, "metastatic_first_line": NOT_MET},
        Outcome.NOT_COVERED,
    ),
    (
        "D2 gastrectomy 365 days ago: still the post-surgery setting",
        {**POST_D2, "surgery_date": days_ago(365)},
        {"post_d2_gastrectomy": MET},
        Outcome.GOOD,
    ),
    (
        "D2 gastrectomy 366 days ago: no longer the post-surgery setting",
        {**POST_D2, "surgery_date": days_ago(366)},
        {"post_d2_gastrectomy": NOT_MET},
        Outcome.NOT_COVERED,
    ),
    (
        "D2 gastrectomy two years ago, no recurrence",
        {**POST_D2, "surgery_date": days_ago(730)},
        {"post_d2_gastrectomy": NOT_MET},
        Outcome.NOT_COVERED,
    ),
    (
        "D2 gastrectomy with no date: the setting applies",
        POST_D2,
        {"post_d2_gastrectomy": MET},
        Outcome.GOOD,
    ),
]


@pytest.mark.parametrize(
    ("answers", "statuses", "outcome"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_the_changed_branches_decide_as_the_2026_12_contract_says(answers, statuses, outcome):
    result = prescreen(Profile(**answers), today=TODAY)
    assert {cid: result.status(cid) for cid in statuses} == statuses
    assert result.outcome is outcome


def test_the_rule_set_is_2026_12_1():
    assert RULE_SET_VERSION == "2026.12-1"
    assert prescreen(Profile()).as_dict()["rule_set_version"] == "2026.12-1"


@pytest.mark.parametrize("stage", ["IC", "IIC", "IVC", "V", "iva", "IIID", "0", "IV A", ""])
def test_a_stage_that_does_not_exist_is_refused_naming_stage(stage):
    profile, errors = parse_profile({"stage": stage}, today=TODAY)
    assert profile is None
    assert list(errors) == ["stage"]


def test_every_ajcc_stage_is_accepted_and_reduces_to_its_group():
    groups = {stage: parse_profile({"stage": stage})[0].stage_group for stage in STAGE_VALUES}
    assert groups == {
        "I": "I",
        "IA": "I",
        "IB": "I",
        "II": "II",
        "IIA": "II",
        "IIB": "II",
        "III": "III",
        "IIIA": "III",
        "IIIB": "III",
        "IIIC": "III",
        "IV": "IV",
        "IVA": "IVA",
        "IVB": "IV",
    }


@pytest.mark.parametrize(
    ("days", "timeline", "window_closed"),
    [(0, True, False), (21, True, False), (28, True, False), (29, False, True), (35, False, True)],
)
def test_the_timeline_is_offered_only_while_the_collection_window_is_open(
    days, timeline, window_closed
):
    result = prescreen(Profile(**POST_D2, surgery_date=days_ago(days)), today=TODAY)
    assert result.outcome is Outcome.GOOD
    assert (result.timeline is not None) is timeline
    assert (WINDOW_CLOSED_ADVISORY in result.advisories) is window_closed
    explanation = timeline_explanation(result.as_dict())
    if window_closed:
        assert "has passed" in explanation and "specialist centre decides" in explanation
    else:
        assert result.timeline.blood_collection_to == days_ago(days) + timedelta(days=28)


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({**POST_D2, "gastrectomy": "none"}, "does not apply"),
        ({**POST_D2, "curative_intent": None}, "not known yet"),
        (POST_D2, "date of the operation is not known"),
    ],
)
def test_without_a_timeline_the_result_says_why(answers, words):
    result = prescreen(Profile(**answers), today=TODAY)
    assert result.timeline is None
    assert words in timeline_explanation(result.as_dict()).lower()


def test_a_window_that_closed_is_not_advised_outside_the_post_surgery_setting():
    result = prescreen(
        Profile(**{**POST_D2, "stage": "I"}, surgery_date=days_ago(60)), today=TODAY
    )
    assert result.advisories == ()


@pytest.mark.parametrize(
    ("answers", "criterion", "words"),
    [
        (
            {**POST_D2, "surgery_date": days_ago(400)},
            "post_d2_gastrectomy",
            "more than a year ago",
        ),
        (
            {"stage": "III", "metastatic": False, "peritoneal_metastasis": True, **UNOPERATED},
            "locally_advanced_first_line",
            "peritoneum",
        ),
        (
            {"stage": "III", "metastatic": False, **UNOPERATED, "first_line_regimen": "FLOT"},
            "locally_advanced_first_line",
            "FLOT",
        ),
        ({"stage": "IVB", **UNOPERATED}, "metastatic_first_line", "Stage IVB"),
        ({"stage": "IB"}, "post_d2_gastrectomy", "Stage IB"),
        ({}, "her2_trastuzumab", "the HER2 test result"),
        ({"ecog": 1, "severe_malnutrition": False}, "poor_performance_or_malnutrition", "not "),
    ],
)
def test_each_reason_speaks_about_the_profile_at_hand(answers, criterion, words):
    result = prescreen(Profile(**answers), today=TODAY)
    reason = next(c.reason for c in result.criteria if c.criterion.id == criterion)
    assert words in reason


def test_peritoneal_disease_keeps_its_caveat():
    result = prescreen(Profile(stage="III", peritoneal_metastasis=True), today=TODAY)
    assert result.advisories == (PERITONEAL_ADVISORY,)
