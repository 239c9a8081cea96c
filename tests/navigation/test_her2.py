"""HER2 from the test scores (ASCO/CAP, gastric), and the flag when the reported status
disagrees: on the case page, as a queue filter and in the oncology summary."""

import pytest
from django.urls import reverse

from navigation.models import Case
from navigation.review import case_review_open
from navigation.summary import summary_build
from records.models import ClinicalProfile
from records.selectors import her2_discordant_q, her2_q
from tests.navigation.factories import make_case
from tests.navigation.test_summary import pdf_text

FLAG = "HER2 results disagree — check the report"
QUEUE = "/admin/navigation/case/"

# (IHC, ISH, reported, derived status, disagree?)
ROWS = [
    ("3+", "", "", "positive", False),
    ("3+", "negative", "", "positive", False),
    ("2+", "positive", "", "positive", False),
    ("2+", "negative", "", "negative", False),
    ("2+", "not_done", "", "equivocal", False),
    ("2+", "pending", "", "equivocal", False),
    ("2+", "", "", "equivocal", False),
    ("1+", "", "", "negative", False),
    ("0", "positive", "", "negative", False),
    ("", "", "positive", "positive", False),
    ("", "", "equivocal", "equivocal", False),
    ("", "", "", "", False),
    ("1+", "", "positive", "negative", True),
    ("3+", "", "negative", "positive", True),
    ("2+", "", "positive", "equivocal", True),
    ("2+", "negative", "equivocal", "negative", True),
    ("3+", "", "positive", "positive", False),
    ("2+", "not_done", "equivocal", "equivocal", False),
]


@pytest.mark.parametrize(("ihc", "ish", "reported", "status", "disagree"), ROWS)
def test_her2_is_derived_from_the_scores_else_as_reported(ihc, ish, reported, status, disagree):
    profile = ClinicalProfile(her2_ihc=ihc, her2_ish=ish, her2_reported_status=reported)
    assert profile.her2_status == status
    assert profile.her2_discordant is disagree


@pytest.mark.django_db
def test_the_database_filters_read_the_same_derivation_as_the_model():
    cases = [
        make_case(her2_ihc=ihc, her2_ish=ish, her2_reported_status=reported)
        for ihc, ish, reported, _, _ in ROWS
    ]
    profiles = ClinicalProfile.objects.filter(patient__case__in=cases)
    for status in ("positive", "negative", "equivocal", ""):
        by_filter = set(profiles.filter(her2_q(status)))
        assert by_filter == {p for p in profiles if p.her2_status == status}, status
    assert set(profiles.filter(her2_discordant_q())) == {p for p in profiles if p.her2_discordant}


@pytest.mark.django_db
def test_the_queue_filters_and_marks_cases_whose_her2_results_disagree(coordinator_client):
    disagree = make_case(her2_ihc="1+", her2_reported_status="positive")
    agree = make_case(her2_ihc="3+", her2_reported_status="positive")
    response = coordinator_client.get(QUEUE + "?her2_check=disagree")
    assert list(response.context["cl"].result_list) == [Case.objects.get(pk=disagree.pk)]
    assert FLAG in response.content.decode()  # the filter's choice, in words
    html = coordinator_client.get(QUEUE).content.decode()
    assert "negative (results disagree)" in html
    assert agree.reference in html


@pytest.mark.django_db
def test_the_case_page_flags_disagreeing_her2_results(coordinator_client):
    disagree = make_case(her2_ihc="1+", her2_reported_status="positive")
    agree = make_case(her2_ihc="1+", her2_reported_status="negative")
    for case in (disagree, agree):
        case_review_open(case_id=case.pk)
    url = reverse("admin:navigation_case_change", args=[disagree.pk])
    assert 'id="her2-discordant"' in coordinator_client.get(url).content.decode()
    url = reverse("admin:navigation_case_change", args=[agree.pk])
    assert 'id="her2-discordant"' not in coordinator_client.get(url).content.decode()


@pytest.mark.django_db
def test_the_summary_flags_disagreeing_her2_results(coordinator):
    disagree = make_case(her2_ihc="1+", her2_reported_status="positive")
    agree = make_case(her2_ihc="3+", her2_reported_status="positive")
    for case in (disagree, agree):
        case_review_open(case_id=case.pk)
    # reportlab writes non-Latin-1 characters (the dash) as escapes: match around them.
    assert "HER2 results disagree" in pdf_text(summary_build(case_id=disagree.pk).storage_name)
    assert "HER2 results disagree" not in pdf_text(summary_build(case_id=agree.pk).storage_name)
