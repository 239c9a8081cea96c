"""The overall outcome, provisional flag, missing fields, timeline and advisories."""

from datetime import date

import pytest

from navigation.eligibility import (
    DISCLAIMER,
    FIELD_DOCUMENTS,
    FIELD_NAMES,
    PERITONEAL_ADVISORY,
    RULE_SET_VERSION,
    Outcome,
    Profile,
    prescreen,
)

# Everything that can lower or exclude, known and not met.
CLEAR = {
    "her2_status": "negative",
    "trastuzumab": False,
    "lauren_type": "intestinal",
    "signet_ring": False,
    "ecog": 1,
    "severe_malnutrition": False,
}
POST_D2 = {"gastrectomy": "d2", "curative_intent": True, "stage": "IIIA", "metastatic": False}
LOCALLY_ADVANCED = {
    "metastatic": False,
    "stage": "III",
    "gastrectomy": "none",
    "prior_lines": 0,
    "first_line_regimen": "SOX",
}
METASTATIC = {"metastatic": True, "prior_lines": 0}

OUTCOMES = [
    ("strong", {**LOCALLY_ADVANCED, **CLEAR}, Outcome.STRONG, False),
    (
        "strong but provisional on ecog",
        {**LOCALLY_ADVANCED, **CLEAR, "ecog": None},
        "strong",
        True,
    ),
    ("good", {**POST_D2, "prior_lines": 0, **CLEAR}, Outcome.GOOD, False),
    (
        "good but provisional on her2",
        {**POST_D2, **CLEAR, "her2_status": None, "trastuzumab": True},
        "good",
        True,
    ),
    ("available", {**METASTATIC, **CLEAR}, Outcome.AVAILABLE, False),
    ("limited: refractory", {"metastatic": True, "prior_lines": 2, **CLEAR}, "limited", False),
    ("limited: post-D2 and refractory", {**POST_D2, "prior_lines": 3, **CLEAR}, "limited", False),
    (
        "limited: diffuse lowers strong",
        {**LOCALLY_ADVANCED, **CLEAR, "lauren_type": "diffuse"},
        "limited",
        False,
    ),
    (
        "limited: her2 lowers available",
        {**METASTATIC, **CLEAR, "her2_status": "positive", "trastuzumab": True},
        "limited",
        False,
    ),
    (
        "limited: diffuse type settles it without the signet ring answer",
        {**METASTATIC, **CLEAR, "lauren_type": "diffuse", "signet_ring": None},
        "limited",
        False,
    ),
    (
        "limited, provisional on malnutrition",
        {"prior_lines": 2, **CLEAR, "severe_malnutrition": None},
        "limited",
        True,
    ),
    ("excluded over strong", {**LOCALLY_ADVANCED, **CLEAR, "ecog": 3}, Outcome.EXCLUDED, False),
    ("excluded with nothing else known", {"severe_malnutrition": True}, "excluded", False),
    ("insufficient information", {}, Outcome.INSUFFICIENT_INFORMATION, False),
    (
        "insufficient: a setting still open",
        {"stage": "II", "prior_lines": 0, **CLEAR},
        "insufficient_information",
        False,
    ),
    (
        "not covered: early stage, no treatment yet",
        {"stage": "I", "metastatic": False, "gastrectomy": "other", "prior_lines": 0},
        Outcome.NOT_COVERED,
        False,
    ),
    (
        "not covered: her2 alone is not a setting",
        {
            "stage": "IB",
            "metastatic": False,
            "prior_lines": 1,
            "her2_status": "positive",
            "trastuzumab": True,
        },
        "not_covered",
        False,
    ),
    (
        "not covered: one line for locally advanced disease",
        {"stage": "III", "metastatic": False, "gastrectomy": "none", "prior_lines": 1},
        "not_covered",
        False,
    ),
]


@pytest.mark.parametrize(
    ("answers", "outcome", "provisional"),
    [row[1:] for row in OUTCOMES],
    ids=[row[0] for row in OUTCOMES],
)
def test_the_outcome_follows_the_documented_order(answers, outcome, provisional):
    result = prescreen(Profile(**answers))
    assert result.outcome == outcome
    assert result.provisional is provisional


def test_the_rows_reach_every_outcome():
    assert {Outcome(row[2]) for row in OUTCOMES} == set(Outcome)


def test_missing_lists_only_fields_an_undecided_criterion_needs():
    everything = prescreen(Profile()).missing
    assert list(everything) == sorted(FIELD_NAMES)
    # One prior line decides criteria 2, 3 and 5: the regimen no longer matters.
    one_line = prescreen(Profile(prior_lines=1)).missing
    assert "first_line_regimen" not in one_line
    assert "prior_lines" not in one_line
    assert {"gastrectomy", "curative_intent", "stage", "metastatic", "surgery_date"} <= set(
        one_line
    )
    assert prescreen(Profile(**LOCALLY_ADVANCED, **CLEAR)).missing == ()


def test_every_field_names_the_document_that_would_settle_it():
    assert set(FIELD_DOCUMENTS) == set(FIELD_NAMES)
    assert FIELD_DOCUMENTS["her2_status"].words == "your HER2 test report"
    assert FIELD_DOCUMENTS["her2_status"].category == "her2"


def test_the_timeline_counts_from_the_surgery_date_when_adjuvant_cik_applies():
    result = prescreen(
        Profile(**POST_D2, surgery_date=date(2026, 10, 1)), today=date(2026, 10, 20)
    )
    assert result.as_dict()["timeline"] == {
        "blood_collection_from": "2026-10-22",
        "blood_collection_to": "2026-10-29",
        "first_infusion_from": "2026-11-05",
        "first_infusion_to": "2026-11-19",
    }


@pytest.mark.parametrize(
    "answers",
    [
        {**POST_D2},  # no date
        {**POST_D2, "curative_intent": None, "surgery_date": date(2026, 10, 1)},  # unknown
        {**POST_D2, "stage": "IV", "surgery_date": date(2026, 10, 1)},  # not met
    ],
)
def test_there_is_no_timeline_unless_post_d2_is_met_and_dated(answers):
    assert prescreen(Profile(**answers), today=date(2026, 10, 20)).timeline is None


def test_peritoneal_disease_carries_the_documented_caveat():
    result = prescreen(Profile(peritoneal_metastasis=True))
    assert result.advisories == (PERITONEAL_ADVISORY,)
    assert "intraperitoneal CIK delivery" in result.advisories[0]
    assert "investigational" in result.advisories[0]
    assert prescreen(Profile(peritoneal_metastasis=False)).advisories == ()
    assert prescreen(Profile()).advisories == ()


def test_every_result_carries_the_version_and_the_disclaimer():
    body = prescreen(Profile(**LOCALLY_ADVANCED)).as_dict()
    assert set(body) == {
        "outcome",
        "provisional",
        "criteria",
        "missing",
        "timeline",
        "advisories",
        "rule_set_version",
        "disclaimer",
    }
    assert body["rule_set_version"] == RULE_SET_VERSION
    assert body["disclaimer"] == DISCLAIMER
    assert "does not constitute medical advice" in DISCLAIMER
