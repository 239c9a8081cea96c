"""The case review task: pre-screen, missing records, one review task, one email."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cancerfax.roles import COORDINATORS
from navigation import eligibility
from navigation.models import Case, CaseEvent, ReviewTask
from navigation.profiles import engine_profile
from navigation.services.review import (
    case_review_open,
    cases_rescreen,
    missing_records_for,
    review_tasks_remind,
)
from navigation.tasks import open_case_review
from records.models import DocumentCategory, ScanStatus
from tests.conftest import _staff
from tests.navigation.factories import make_case, make_document

pytestmark = pytest.mark.django_db


def test_the_review_stores_the_prescreen_and_creates_one_task(coordinator):
    case = make_case()
    task = case_review_open(case_id=case.pk)
    case.refresh_from_db()
    expected = eligibility.prescreen(
        engine_profile(case.patient.profile, today=timezone.localdate())
    )
    assert case.prescreen_outcome == expected.outcome.value == "good"
    assert case.prescreen_rule_set_version == eligibility.RULE_SET_VERSION
    assert [c["status"] for c in case.prescreen_result["criteria"]] == [
        c.status.value for c in expected.criteria
    ]
    assert task.assignee == coordinator
    assert case.assignee == coordinator
    assert task.due_at > timezone.now()


def test_running_the_task_twice_changes_nothing(coordinator):
    case = make_case()
    open_case_review.delay(case.pk)
    open_case_review.delay(case.pk)
    assert ReviewTask.objects.filter(case=case).count() == 1
    assert len(mail.outbox) == 1
    assert CaseEvent.objects.filter(case=case, note__startswith="Pre-screen run").count() == 1


def test_the_coordinators_email_carries_no_patient_data(coordinator, settings):
    settings.COORDINATOR_EMAILS = ["team@example.org"]
    case = make_case(full_name="Zebedee Canary-Name")
    case_review_open(case_id=case.pk)
    [message] = mail.outbox
    assert message.to == sorted(["team@example.org", coordinator.email])
    assert case.reference in message.body and f"/admin/navigation/case/{case.pk}/" in message.body
    text = message.subject + message.body
    for value in ("Zebedee", case.patient.email, case.patient.phone, "1960"):
        assert value not in text


def test_the_task_goes_to_the_coordinator_with_fewest_open_tasks(coordinator):
    second = _staff("second", COORDINATORS)
    busy = make_case()
    case_review_open(case_id=busy.pk)  # coordinator now has one open task
    task = case_review_open(case_id=make_case().pk)
    assert task.assignee == second
    ReviewTask.objects.filter(assignee=coordinator).update(done_at=timezone.now())
    third = case_review_open(case_id=make_case().pk)
    assert third.assignee == coordinator


def test_a_case_that_is_gone_is_not_an_error(coordinator):
    assert case_review_open(case_id=987654) is None


@pytest.mark.parametrize(
    ("profile", "documents", "missing"),
    [
        (
            {"her2_ihc": "3+", "gastrectomy": "none", "prior_lines": 0},
            [],
            ["pathology", "imaging"],
        ),
        ({"her2_ihc": "", "gastrectomy": "none"}, [], ["pathology", "her2", "imaging"]),
        (
            {"her2_ihc": "2+", "her2_ish": "", "gastrectomy": "none"},
            [],
            ["pathology", "her2", "imaging"],
        ),
        ({"her2_ihc": "1+", "gastrectomy": "d2"}, [], ["pathology", "imaging", "surgery"]),
        (
            {"her2_ihc": "", "her2_reported_status": "positive", "gastrectomy": "none"},
            [],
            ["pathology", "her2", "imaging"],
        ),
        (
            {"her2_ihc": "0", "gastrectomy": "other", "prior_lines": 2},
            [],
            ["pathology", "imaging", "surgery", "chemotherapy"],
        ),
        (
            {"her2_ihc": "", "gastrectomy": "d2", "prior_lines": 1},
            ["pathology", "her2", "surgery"],
            ["imaging", "chemotherapy"],
        ),
    ],
)
def test_missing_records_follow_the_profile(coordinator, profile, documents, missing):
    case = make_case(**profile)
    for category in documents:
        make_document(case.patient, category=category)
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    assert case.missing_records == missing
    assert case.missing_records_count == len(missing)


def test_an_infected_file_does_not_count_as_received(coordinator):
    case = make_case(her2_ihc="3+", gastrectomy="none")
    make_document(case.patient, category=DocumentCategory.PATHOLOGY, status=ScanStatus.INFECTED)
    assert "pathology" in missing_records_for(case.patient.profile, {"imaging"} | set())
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    assert "pathology" in case.missing_records


def test_new_rules_rescreen_open_cases_and_record_changed_outcomes(coordinator):
    changed = make_case()
    case_review_open(case_id=changed.pk)
    unchanged = make_case()
    case_review_open(case_id=unchanged.pk)
    # As if both were screened under older rules, one of them with another outcome.
    Case.objects.filter(pk=changed.pk).update(
        prescreen_rule_set_version="2025.01-0", prescreen_outcome="insufficient_information"
    )
    Case.objects.filter(pk=unchanged.pk).update(prescreen_rule_set_version="2025.01-0")
    assert cases_rescreen() == 1
    assert cases_rescreen() == 0  # a second run finds nothing on old rules
    changed.refresh_from_db()
    unchanged.refresh_from_db()
    assert changed.prescreen_rule_set_version == eligibility.RULE_SET_VERSION
    assert unchanged.prescreen_rule_set_version == eligibility.RULE_SET_VERSION
    [event] = CaseEvent.objects.filter(case=changed, note__startswith="Pre-screen outcome changed")
    assert "insufficient_information to good" in event.note
    assert not CaseEvent.objects.filter(
        case=unchanged, note__startswith="Pre-screen outcome changed"
    ).exists()


def test_closed_cases_are_not_rescreened(coordinator):
    case = make_case()
    case_review_open(case_id=case.pk)
    Case.objects.filter(pk=case.pk).update(prescreen_rule_set_version="old", status="withdrawn")
    assert cases_rescreen() == 0
    case.refresh_from_db()
    assert case.prescreen_rule_set_version == "old"


def test_an_overdue_review_is_reminded_once(coordinator):
    case = make_case()
    task = case_review_open(case_id=case.pk)
    mail.outbox.clear()
    assert review_tasks_remind(now=task.due_at - timedelta(minutes=1)) == 0
    assert review_tasks_remind(now=task.due_at + timedelta(minutes=1)) == 1
    assert review_tasks_remind(now=task.due_at + timedelta(hours=5)) == 0
    [message] = mail.outbox
    assert message.to == [coordinator.email]
    assert case.reference in message.subject


def test_a_finished_review_is_not_reminded(coordinator):
    task = case_review_open(case_id=make_case().pk)
    ReviewTask.objects.filter(pk=task.pk).update(done_at=timezone.now())
    assert review_tasks_remind(now=task.due_at + timedelta(days=1)) == 0


def test_a_case_withdrawn_before_the_task_ran_gets_no_review(coordinator):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(status="withdrawn")
    assert case_review_open(case_id=case.pk) is None
    assert not ReviewTask.objects.exists()
    assert not mail.outbox


def test_new_uploads_update_what_is_missing_and_fulfil_the_request(coordinator):
    from navigation.models import RecordsRequest
    from navigation.services.records_requests import records_request_create
    from navigation.services.review import cases_missing_records_refresh

    case = make_case(her2_ihc="", gastrectomy="none")
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    assert case.missing_records == ["pathology", "her2", "imaging"]
    records_request_create(case=case, items=["her2"], message="", actor=coordinator)
    make_document(case.patient, category=DocumentCategory.HER2)
    assert cases_missing_records_refresh() == 1
    assert cases_missing_records_refresh() == 0  # the same upload is not seen twice
    case.refresh_from_db()
    assert case.missing_records == ["pathology", "imaging"]
    assert case.missing_records_count == 2
    assert RecordsRequest.objects.get(case=case).fulfilled_at is not None
    assert (
        CaseEvent.objects.filter(case=case, note__startswith="New documents received").count() == 1
    )


def test_the_review_and_its_beat_work_log_no_patient_data(coordinator, caplog, settings):
    import logging

    from navigation.services.outbox import outbox_sweep

    caplog.set_level(logging.DEBUG)
    settings.COORDINATOR_EMAILS = []
    case = make_case(full_name="Canary Lastname-Zed", email="canary.zed@example.net")
    make_document(case.patient, category=DocumentCategory.PATHOLOGY)
    case_review_open(case_id=case.pk)
    outbox_sweep()
    cases_rescreen()
    review_tasks_remind(now=timezone.now() + timedelta(days=5))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for canary in ("Canary", "Lastname-Zed", "canary.zed@example.net", "1960-01-01"):
        assert canary not in logged
