"""Validating raw input: strict JSON types, the contract's lists, no future dates."""

from datetime import date

import pytest

from navigation.eligibility import Profile, parse_profile, profile_as_query, profile_from_query

TODAY = date(2026, 11, 28)
FULL = {
    "stage": "IIIA",
    "gastrectomy": "d2",
    "curative_intent": True,
    "surgery_date": "2026-10-01",
    "metastatic": False,
    "peritoneal_metastasis": False,
    "prior_lines": 0,
    "first_line_regimen": "XELOX",
    "her2_status": "positive",
    "trastuzumab": True,
    "lauren_type": "diffuse",
    "signet_ring": False,
    "ecog": 1,
    "severe_malnutrition": False,
}


def test_it_reads_every_field_of_a_well_formed_profile():
    profile, errors = parse_profile(FULL, today=TODAY)
    assert errors == {}
    assert profile.surgery_date == date(2026, 10, 1)
    assert profile.stage == "IIIA"
    assert profile.stage_group == "III"
    assert profile.known() == FULL


def test_missing_fields_and_nulls_are_unknown():
    profile, errors = parse_profile({"stage": None, "ecog": None}, today=TODAY)
    assert errors == {}
    assert profile == Profile()


def test_a_surgery_date_of_today_is_accepted():
    profile, errors = parse_profile({"surgery_date": "2026-11-28"}, today=TODAY)
    assert errors == {}
    assert profile.surgery_date == TODAY


BAD = [
    ("stage", "V"),
    ("stage", "iii"),
    ("stage", "IIID"),
    ("stage", "III A"),
    ("stage", 3),
    ("gastrectomy", "D2"),
    ("gastrectomy", "partial"),
    ("first_line_regimen", "folfox"),
    ("first_line_regimen", "CAPOX"),
    ("her2_status", "3+"),
    ("her2_status", True),
    ("lauren_type", "Diffuse"),
    ("curative_intent", 1),
    ("curative_intent", "true"),
    ("metastatic", 0),
    ("peritoneal_metastasis", "yes"),
    ("trastuzumab", []),
    ("signet_ring", {}),
    ("severe_malnutrition", "false"),
    ("ecog", True),
    ("ecog", 2.0),
    ("ecog", "2"),
    ("ecog", 5),
    ("ecog", -1),
    ("prior_lines", False),
    ("prior_lines", 1.5),
    ("prior_lines", 2.0),
    ("prior_lines", -1),
    ("prior_lines", "0"),
    ("surgery_date", "2026/10/01"),
    ("surgery_date", "01-10-2026"),
    ("surgery_date", "20261001"),
    ("surgery_date", "2026-02-30"),
    ("surgery_date", "2026-10-01T00:00:00"),
    ("surgery_date", 20261001),
    ("surgery_date", "2026-11-29"),
]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v!r}" for n, v in BAD])
def test_it_names_a_bad_value(name, value):
    profile, errors = parse_profile({**FULL, name: value}, today=TODAY)
    assert profile is None
    assert list(errors) == [name]
    assert errors[name] and all(isinstance(m, str) and m for m in errors[name])


def test_a_future_surgery_date_says_so():
    _, errors = parse_profile({"surgery_date": "2027-01-01"}, today=TODAY)
    assert errors == {"surgery_date": ["Must not be in the future."]}


def test_it_names_every_bad_field_at_once():
    _, errors = parse_profile(
        {"ecog": 7, "prior_lines": -2, "stage": "X", "her2status": "positive"}, today=TODAY
    )
    assert set(errors) == {"ecog", "prior_lines", "stage", "her2status"}


def test_an_unknown_field_is_an_error_that_suggests_the_right_name():
    _, errors = parse_profile({"her2status": "positive"}, today=TODAY)
    assert errors == {"her2status": ['Unknown field. Did you mean "her2_status"?']}
    _, errors = parse_profile({"favourite_colour": "blue"}, today=TODAY)
    assert errors == {"favourite_colour": ["Unknown field."]}


@pytest.mark.parametrize("body", [[], [FULL], "stage", 3, 2.5, True, None])
def test_anything_but_an_object_is_refused_as_a_whole(body):
    profile, errors = parse_profile(body, today=TODAY)
    assert profile is None
    assert list(errors) == ["__all__"]


def test_answers_survive_the_query_string_round_trip():
    profile, _ = parse_profile(FULL, today=TODAY)
    query = profile_as_query(profile)
    assert query["curative_intent"] == "true"
    assert query["metastatic"] == "false"
    assert query["prior_lines"] == "0"
    assert query["surgery_date"] == "2026-10-01"
    assert profile_from_query(query, today=TODAY) == (profile, {})


def test_the_query_string_leaves_unknown_answers_out():
    assert profile_as_query(Profile(stage="III", her2_status="positive")) == {
        "stage": "III",
        "her2_status": "positive",
    }


def test_a_query_string_ignores_other_parameters_and_empty_answers():
    profile, errors = profile_from_query(
        {"stage": "II", "ecog": "", "utm_source": "leaflet"}, today=TODAY
    )
    assert errors == {}
    assert profile == Profile(stage="II")


def test_a_query_string_with_bad_answers_names_them():
    _, errors = profile_from_query(
        {"metastatic": "yes", "ecog": "9", "prior_lines": "two"}, today=TODAY
    )
    assert set(errors) == {"metastatic", "ecog", "prior_lines"}
