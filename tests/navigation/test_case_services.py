"""Case services: opening a case, guarded moves with history, records requests."""

import pytest
from django.core import mail

from navigation.models import Case, CaseEvent, CaseStatus, Outbox, RecordsRequest
from navigation.services.cases import (
    TransitionNotAllowed,
    case_assign,
    case_centre_choose,
    case_open,
    case_transition,
)
from navigation.services.records_requests import records_request_create
from tests.navigation.factories import make_case, make_patient

pytestmark = pytest.mark.django_db


def test_opening_a_case_writes_its_first_history_row_and_an_outbox_row(
    django_capture_on_commit_callbacks,
):
    patient = make_patient()
    with django_capture_on_commit_callbacks() as callbacks:
        case = case_open(patient=patient)
    assert case.status == CaseStatus.SUBMITTED
    [event] = CaseEvent.objects.filter(case=case)
    assert (event.from_status, event.to_status) == ("", CaseStatus.SUBMITTED)
    outbox = Outbox.objects.get(case=case)
    assert outbox.kind == Outbox.Kind.OPEN_CASE_REVIEW and outbox.sent_at is None
    # Nothing goes to the broker before the submission has committed.
    assert len(callbacks) == 1


def test_after_commit_the_review_is_handed_over_and_the_outbox_row_marked_sent(
    django_capture_on_commit_callbacks, coordinator
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(patient=make_patient())
    assert Outbox.objects.get(case=case).sent_at is not None
    assert case.review_tasks.count() == 1


def test_a_move_writes_who_when_from_to_and_note(coordinator):
    case = make_case()
    assert case_transition(
        case=case, to_status=CaseStatus.UNDER_REVIEW, actor=coordinator, note="Looking now"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    event = CaseEvent.objects.get(case=case)
    assert event.actor == coordinator
    assert (event.from_status, event.to_status, event.note) == (
        CaseStatus.SUBMITTED,
        CaseStatus.UNDER_REVIEW,
        "Looking now",
    )
    assert event.at is not None


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (CaseStatus.SUBMITTED, CaseStatus.IN_TREATMENT),
        (CaseStatus.SUBMITTED, CaseStatus.COMPLETED),
        (CaseStatus.UNDER_REVIEW, CaseStatus.SUBMITTED),
        (CaseStatus.WITHDRAWN, CaseStatus.UNDER_REVIEW),
        (CaseStatus.NOT_SUITABLE, CaseStatus.WITHDRAWN),
    ],
)
def test_it_refuses_a_move_that_is_not_a_step(coordinator, start, target):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(status=start)
    case.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        case_transition(case=case, to_status=target, actor=coordinator)
    case.refresh_from_db()
    assert case.status == start
    assert not CaseEvent.objects.filter(case=case).exists()


def test_a_double_click_moves_the_case_once(coordinator):
    case = make_case()
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    assert case_transition(case=first, to_status=CaseStatus.UNDER_REVIEW, actor=coordinator)
    assert not case_transition(case=second, to_status=CaseStatus.UNDER_REVIEW, actor=coordinator)
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_the_whole_path_of_steps_is_allowed(coordinator):
    case = make_case()
    for step in [
        CaseStatus.UNDER_REVIEW,
        CaseStatus.RECORDS_REQUESTED,
        CaseStatus.UNDER_REVIEW,
        CaseStatus.SUMMARY_PREPARED,
        CaseStatus.CENTRE_MATCHED,
        CaseStatus.CONSULTATION_SCHEDULED,
        CaseStatus.IN_TREATMENT,
        CaseStatus.FOLLOW_UP,
        CaseStatus.COMPLETED,
    ]:
        assert case_transition(case=case, to_status=step, actor=coordinator)
    assert list(CaseEvent.objects.filter(case=case).values_list("to_status", flat=True))[-1] == (
        CaseStatus.COMPLETED
    )


def test_a_records_request_is_stored_emailed_and_moves_the_case(coordinator):
    case = make_case()
    request = records_request_create(
        case=case, items=["her2", "imaging"], message="Please send them soon.", actor=coordinator
    )
    assert RecordsRequest.objects.get() == request
    assert request.item_labels == [
        "HER2 test report",
        "Staging imaging (CT/PET report or DICOM images)",
    ]
    case.refresh_from_db()
    assert case.status == CaseStatus.RECORDS_REQUESTED
    [message] = mail.outbox
    assert message.to == [case.patient.email]
    assert "HER2 test report" in message.body
    assert "Please send them soon." in message.body
    assert "/portal/" in message.body


def test_a_second_request_keeps_the_status_and_adds_a_history_row(coordinator):
    case = make_case()
    records_request_create(case=case, items=["her2"], message="", actor=coordinator)
    records_request_create(case=case, items=["surgery"], message="", actor=coordinator)
    assert RecordsRequest.objects.filter(case=case).count() == 2
    notes = list(CaseEvent.objects.filter(case=case).values_list("note", flat=True))
    assert notes[-1].startswith("More records requested")


def test_a_closed_case_takes_no_records_request(coordinator):
    case = make_case()
    case_transition(case=case, to_status=CaseStatus.WITHDRAWN, actor=None)
    with pytest.raises(TransitionNotAllowed):
        records_request_create(case=case, items=["her2"], message="", actor=coordinator)
    assert not RecordsRequest.objects.exists()
    assert not mail.outbox


def test_an_empty_request_is_refused(coordinator):
    with pytest.raises(ValueError, match="at least one"):
        records_request_create(case=make_case(), items=[" "], message="", actor=coordinator)


def test_assigning_writes_history_and_moves_the_open_review_task(coordinator, superuser):
    from navigation.services.review import case_review_open

    case = make_case()
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    assert case_assign(case=case, assignee=superuser, actor=superuser)
    assert not case_assign(case=case, assignee=superuser, actor=superuser)
    assert case.review_tasks.get().assignee == superuser
    assert CaseEvent.objects.filter(case=case, note__startswith="Assigned").count() == 1


def test_choosing_a_centre_needs_a_case_under_review(coordinator):
    from navigation.matching import load_example_centres
    from navigation.models import Centre

    load_example_centres()
    centre = Centre.objects.first()
    case = make_case()
    with pytest.raises(TransitionNotAllowed):
        case_centre_choose(case=case, centre=centre, actor=coordinator)
    case_transition(case=case, to_status=CaseStatus.UNDER_REVIEW, actor=coordinator)
    assert case_centre_choose(case=case, centre=centre, actor=coordinator)
    case.refresh_from_db()
    assert (case.status, case.centre) == (CaseStatus.CENTRE_MATCHED, centre)


def test_a_decision_on_the_case_closes_its_initial_review(coordinator):
    from navigation.services.review import case_review_open

    case = make_case()
    task = case_review_open(case_id=case.pk)
    case.refresh_from_db()
    case_transition(case=case, to_status=CaseStatus.UNDER_REVIEW, actor=coordinator)
    task.refresh_from_db()
    assert task.done_at is None
    case_transition(case=case, to_status=CaseStatus.RECORDS_REQUESTED, actor=coordinator)
    task.refresh_from_db()
    assert task.done_at is not None
