"""Cases whose outcome a new rule set changed: visible in the queue and on the case page."""

import pytest
from django.urls import reverse

from navigation import eligibility
from navigation.models import Case, CaseEvent
from navigation.services.review import case_prescreen_refresh, case_review_open, cases_rescreen
from tests.navigation.factories import make_case

pytestmark = pytest.mark.django_db
QUEUE = "/admin/navigation/case/"


@pytest.fixture
def rescreened(coordinator):
    """Two open cases screened under older rules; new rules change one outcome."""
    changed, unchanged = make_case(), make_case()
    for case in (changed, unchanged):
        case_review_open(case_id=case.pk)
    Case.objects.filter(pk=changed.pk).update(
        prescreen_rule_set_version="2026.11-1", prescreen_outcome="strong"
    )
    Case.objects.filter(pk=unchanged.pk).update(prescreen_rule_set_version="2026.11-1")
    assert cases_rescreen() == 1
    changed.refresh_from_db()
    unchanged.refresh_from_db()
    return changed, unchanged


def test_a_changed_outcome_is_kept_with_the_rule_sets_and_labels_in_the_history(rescreened):
    changed, unchanged = rescreened
    assert changed.prescreen_changed_from == "strong"
    assert changed.prescreen_rule_set_version == eligibility.RULE_SET_VERSION
    assert unchanged.prescreen_changed_from == ""
    [event] = CaseEvent.objects.filter(case=changed, note__startswith="Pre-screen outcome changed")
    assert "2026.11-1 → 2026.12-1" in event.note
    assert "strong evidence → good evidence" in event.note


def test_the_queue_lists_and_marks_cases_the_new_rules_changed(coordinator_client, rescreened):
    changed, unchanged = rescreened
    response = coordinator_client.get(QUEUE + "?rescreen=changed")
    assert [case.pk for case in response.context["cl"].result_list] == [changed.pk]
    assert "good evidence (new rules; was strong evidence)" in response.content.decode()


def test_the_case_page_says_the_new_rules_changed_the_outcome(coordinator_client, rescreened):
    changed, unchanged = rescreened
    html = coordinator_client.get(reverse("admin:navigation_case_change", args=[changed.pk]))
    assert 'id="prescreen-changed"' in html.content.decode()
    html = coordinator_client.get(reverse("admin:navigation_case_change", args=[unchanged.pk]))
    assert 'id="prescreen-changed"' not in html.content.decode()


def test_a_later_pre_screen_of_new_answers_clears_the_mark(rescreened):
    changed, _ = rescreened
    case_prescreen_refresh(case=changed)
    changed.refresh_from_db()
    assert changed.prescreen_changed_from == ""
