"""The one mapping between the stored clinical profile and the eligibility engine's input."""

import datetime
import re

import pytest
import time_machine
from django.http import QueryDict

from navigation import eligibility
from navigation.profiles import engine_answers, engine_profile, intake_initial
from records.forms import ClinicalProfileForm
from records.vocabulary import UNKNOWN
from tests.navigation.factories import make_case

TODAY = datetime.date(2026, 11, 28)


@pytest.mark.django_db
def test_blank_and_null_stored_answers_are_unknown_to_the_engine():
    profile = make_case(stage="", ecog=None, her2_ihc="", lauren_type="").patient.profile
    answers = engine_answers(profile)
    assert set(answers) == set(eligibility.FIELD_NAMES)
    assert answers["stage"] is None and answers["ecog"] is None
    assert answers["her2_status"] is None and answers["lauren_type"] is None
    assert engine_answers(None) == dict.fromkeys(eligibility.FIELD_NAMES)


@pytest.mark.django_db
def test_the_engine_reads_the_derived_her2_status_not_only_what_was_reported():
    profile = make_case(her2_ihc="3+", her2_reported_status="negative").patient.profile
    assert engine_profile(profile, today=TODAY).her2_status == "positive"


@pytest.mark.django_db
def test_a_stored_answer_the_engine_refuses_is_read_as_unknown_and_the_rest_kept():
    profile = make_case(stage="IIIA", surgery_date=datetime.date(2026, 12, 25)).patient.profile
    engine = engine_profile(profile, today=TODAY)
    assert engine.surgery_date is None
    assert engine.stage == "IIIA"


@time_machine.travel(TODAY)
def test_pre_screen_answers_prefill_the_clinical_form():
    query = QueryDict(
        "stage=iii&gastrectomy=d2&curative_intent=true&surgery_date=2026-05-01&metastatic=false"
        "&peritoneal_metastasis=unknown&prior_lines=5&first_line_regimen=folfox&her2_status=positive"
        "&trastuzumab=false&lauren_type=DIFFUSE&signet_ring=true&ecog=2&severe_malnutrition=false"
    )
    initial = intake_initial(query, today=TODAY)
    assert initial == {
        "stage": "III",
        "gastrectomy": "d2",
        "curative_intent": "true",
        "surgery_date": "2026-05-01",
        "metastatic": "false",
        "peritoneal_metastasis": UNKNOWN,
        "prior_lines": "3",
        "first_line_regimen": "FOLFOX",
        "her2_reported_status": "positive",
        "trastuzumab": "false",
        "lauren_type": "diffuse",
        "signet_ring": "true",
        "ecog": "2",
        "severe_malnutrition": "false",
    }
    form = ClinicalProfileForm(initial=initial)
    assert re.search(r'value="positive"[^>]*checked', str(form["her2_reported_status"]))
    # A reported status is kept as reported, never turned into an invented test score.
    assert "her2_ihc" not in initial


def test_malformed_pre_screen_answers_are_dropped_and_the_others_kept():
    initial = intake_initial(
        QueryDict(
            "stage=IX&ecog=7&prior_lines=-1&surgery_date=2027-01-01&metastatic=maybe"
            "&her2_status=3%2B&lauren_type=mixed"
        ),
        today=TODAY,
    )
    assert initial == {"lauren_type": "mixed"}


def test_the_checkers_link_to_the_intake_carries_every_answer():
    # What the checker writes (the engine's query contract), the intake reads back.
    profile, _ = eligibility.parse_profile(
        {
            "stage": "IVA",
            "gastrectomy": "none",
            "metastatic": False,
            "prior_lines": 0,
            "first_line_regimen": "SOX",
            "her2_status": "equivocal",
            "ecog": 0,
        },
        today=TODAY,
    )
    initial = intake_initial(eligibility.profile_as_query(profile), today=TODAY)
    form = ClinicalProfileForm(initial=initial)
    assert {name: str(form[name].value()) for name in initial} == {
        "stage": "IVA",
        "gastrectomy": "none",
        "metastatic": "false",
        "prior_lines": "0",
        "first_line_regimen": "SOX",
        "her2_reported_status": "equivocal",
        "ecog": "0",
    }
