"""HER2 from the test scores (ASCO/CAP, gastric), and the flag when the reported status
disagrees: derived once, by the database (ClinicalProfile.her2_status and her2_discordant),
and read from there by the case page, the queue filters and the oncology summary."""

import pytest
from django.urls import reverse

from navigation.models import Case
from navigation.selectors import profile_answer_q
from navigation.services.review import case_review_open
from navigation.services.summary import summary_build
from records.models import ClinicalProfile
from records.vocabulary import UNKNOWN
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


@pytest.mark.django_db
@pytest.mark.parametrize(("ihc", "ish", "reported", "status", "disagree"), ROWS)
def test_her2_is_derived_from_the_scores_else_as_reported(ihc, ish, reported, status, disagree):
    case = make_case(her2_ihc=ihc, her2_ish=ish, her2_reported_status=reported)
    # As saved, and as read back from the database.
    for profile in (case.patient.profile, ClinicalProfile.objects.get(patient=case.patient)):
        assert profile.her2_status == status
        assert profile.her2_discordant is disagree


@pytest.mark.django_db
def test_the_derived_status_follows_a_change_of_the_scores():
    profile = make_case(her2_ihc="1+", her2_reported_status="positive").patient.profile
    profile.her2_ihc = "3+"
    profile.save()
    assert (profile.her2_status, profile.her2_discordant) == ("positive", False)
    ClinicalProfile.objects.filter(pk=profile.pk).update(her2_ihc="", her2_reported_status="")
    profile.refresh_from_db()
    assert (profile.her2_status, profile.her2_discordant) == ("", False)


@pytest.mark.django_db
def test_the_queue_filter_reads_the_derived_status_and_counts_no_profile_as_unknown():
    cases = [
        make_case(her2_ihc=ihc, her2_ish=ish, her2_reported_status=reported)
        for ihc, ish, reported, _, _ in ROWS
    ]
    without_profile = make_case()
    without_profile.patient.profile.delete()
    by_status = {status: set() for status in ("positive", "negative", "equivocal", "")}
    for case, (_, _, _, status, _) in zip(cases, ROWS, strict=True):
        by_status[status].add(case.pk)
    by_status[""].add(without_profile.pk)
    for status, expected in by_status.items():
        q = profile_answer_q("her2_status", status or UNKNOWN)
        assert set(Case.objects.filter(q).values_list("pk", flat=True)) == expected


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
