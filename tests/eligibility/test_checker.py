"""/eligibility/: the public checker, through Django's test client."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.utils import timezone

from navigation.eligibility import (
    DISCLAIMER,
    FIELD_NAMES,
    PERITONEAL_ADVISORY,
    Profile,
    profile_from_query,
)
from navigation.forms import PrescreenForm
from records.vocabulary import UNKNOWN

pytestmark = pytest.mark.django_db

URL = "/eligibility/"
ANSWERS = {
    "stage": "IIIA",
    "gastrectomy": "d2",
    "curative_intent": "true",
    "surgery_date": "2026-10-01",
    "metastatic": "false",
    "peritoneal_metastasis": "false",
    "her2_status": "positive",
    "trastuzumab": "",
    "ecog": "1",
}


def criterion_status(html: str, criterion: str) -> str:
    return re.search(rf'data-criterion="{criterion}" data-status="(\w+)"', html).group(1)


def continue_link(html: str) -> str:
    start = html.index('id="continue" href="') + len('id="continue" href="')
    return unescape(html[start : html.index('"', start)])


def test_the_questions_use_the_engines_names_and_all_default_to_i_dont_know():
    form = PrescreenForm()
    assert set(form.fields) == set(FIELD_NAMES)
    for name, field in form.fields.items():
        if name == "surgery_date":
            assert field.required is False
            continue
        assert (UNKNOWN, "I don't know") in [(value, str(label)) for value, label in field.choices]
        assert field.initial == UNKNOWN


def test_every_stage_offered_is_one_the_engine_reads_and_the_intake_stores():
    from records.models import ClinicalProfile

    offered = [v for v, _ in PrescreenForm().fields["stage"].choices if v != UNKNOWN]
    assert offered == list(ClinicalProfile.Stage.values)
    assert all(Profile(stage=value).stage_group for value in offered)


def test_the_blank_checker_asks_and_shows_no_result(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="get"' in html
    assert "csrfmiddlewaretoken" not in html  # a GET form must not put the token in the URL
    assert 'id="result"' not in html
    for name in ("metastatic", "gastrectomy", "her2_status", "ecog", "severe_malnutrition"):
        assert re.search(rf'name="{name}" value="{UNKNOWN}"[^>]*checked', html), name
    for name in ("stage", "first_line_regimen"):
        assert re.search(rf'name="{name}"[^>]*>\s*<option value="{UNKNOWN}" selected>', html), name
    # Works without JavaScript, and nothing inline for the Content Security Policy to block.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # scripts only from files
    assert " style=" not in html


@time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=UTC))
def test_answers_show_the_outcome_every_criterion_and_what_is_missing(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):  # nothing is stored, nothing is even read
        response = client.get(URL, ANSWERS)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'data-outcome="good"' in html
    assert "matches a setting with good evidence" in html
    assert 'id="provisional"' in html
    assert criterion_status(html, "post_d2_gastrectomy") == "met"
    assert criterion_status(html, "metastatic_first_line") == "not_met"
    assert criterion_status(html, "her2_trastuzumab") == "unknown"
    assert html.count('class="criterion-reason') == 7
    assert "Adjuvant CIK reduces recurrence; initiate 3–4 weeks post-surgery" in html
    assert '<li data-field="trastuzumab">' in html
    assert "your oncologist&#x27;s treatment plan" in html
    assert '<li data-field="her2_status">' not in html  # answered
    assert "between 22 October 2026 and 29 October 2026" in html
    assert "between 5 November 2026 and 19 November 2026" in html
    assert PERITONEAL_ADVISORY not in html
    assert DISCLAIMER in html
    assert '<meta name="robots" content="noindex">' in html


def test_the_continue_link_carries_the_answers_in_the_engines_terms(client):
    html = client.get(URL, ANSWERS).content.decode()
    link = continue_link(html)
    assert link == (
        "/submit/?stage=IIIA&gastrectomy=d2&curative_intent=true&surgery_date=2026-10-01"
        "&metastatic=false&peritoneal_metastasis=false&her2_status=positive&ecog=1"
    )
    query = dict(parse_qsl(urlsplit(link).query))
    profile, errors = profile_from_query(query)
    assert errors == {}
    assert profile.her2_status == "positive"
    assert profile.trastuzumab is None  # "I don't know" is left out, not sent as a value


def test_i_dont_know_everywhere_lists_the_document_for_every_open_question(client):
    html = client.get(URL, {name: "" for name in FIELD_NAMES}).content.decode()
    assert 'data-outcome="insufficient_information"' in html
    assert "your HER2 test report" in html
    assert html.count("<li data-field=") == len(FIELD_NAMES)
    assert continue_link(html) == "/submit/?"
    assert 'id="timeline"' not in html


def test_poor_performance_is_explained_as_an_exclusion(client):
    html = client.get(URL, {"ecog": "4"}).content.decode()
    assert 'data-outcome="excluded"' in html
    assert "generally not offered" in html
    assert criterion_status(html, "poor_performance_or_malnutrition") == "met"
    assert (
        '<span class="badge text-bg-danger">Applies to you: CIK is generally not offered</span>'
        in html
    )


def test_a_future_operation_date_is_refused_and_nothing_is_lost(client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    html = client.get(URL, {**ANSWERS, "surgery_date": tomorrow}).content.decode()
    assert 'id="result"' in html and "data-outcome" not in html
    assert "Must not be in the future." in html
    assert f'value="{tomorrow}"' in html
    assert '<option value="IIIA" selected>' in html


def test_a_value_outside_the_choices_is_refused(client):
    html = client.get(URL, {"ecog": "9", "stage": "V"}).content.decode()
    assert "data-outcome" not in html
    assert html.count("Select a valid choice") == 2


def test_a_link_from_elsewhere_with_only_some_answers_is_checked(client):
    html = client.get(URL, {"stage": "IV", "metastatic": "true", "prior_lines": "0"})
    assert 'data-outcome="available"' in html.content.decode()


@time_machine.travel(datetime(2026, 12, 2, 12, tzinfo=UTC))
@pytest.mark.parametrize(
    ("answers", "status", "words"),
    [
        ({"ecog": "4"}, "met", "Applies to you: CIK is generally not offered"),
        (
            {"ecog": "1", "severe_malnutrition": "false"},
            "not_met",
            "Does not apply: you are not excluded",
        ),
        ({}, "unknown", "Not known yet"),
    ],
)
def test_the_exclusion_row_says_in_words_whether_the_patient_is_excluded(
    client, answers, status, words
):
    html = client.get(URL, {"stage": "II", **answers}).content.decode()
    assert criterion_status(html, "poor_performance_or_malnutrition") == status
    row = html[html.index('data-criterion="poor_performance_or_malnutrition"') :]
    assert words in row[: row.index("</li>")]


@time_machine.travel(datetime(2026, 12, 2, 12, tzinfo=UTC))
def test_the_result_shows_the_date_the_answers_and_why_there_is_no_timeline(client):
    html = client.get(
        URL, {**ANSWERS, "surgery_date": "2025-06-01", "peritoneal_metastasis": "true"}
    ).content.decode()
    assert "Checked on 2 December 2026" in html
    answers = html[html.index('id="answers"') :]
    assert "What stage is the cancer?" in answers and "IIIA" in answers
    assert "Yes: a gastrectomy with D2 lymph node removal" in answers
    assert "1 June 2025" in answers
    assert 'id="timeline"' not in html
    assert "the post-surgery setting does not apply" in html
    assert "Rule set 2026.12-1" in html
