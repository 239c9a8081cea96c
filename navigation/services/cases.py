"""Writes on cases: opening, moving along the steps, assigning, notes, the centre.

Every function is keyword-only and typed. Status moves go through `case_transition`, which is
a conditional UPDATE plus a history row, so a double click or a retried task changes nothing.
Patient data never goes into log lines or task arguments: logs name cases by primary key.
"""

import logging
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from navigation.models import (
    CLOSED_STATUSES,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseStatus,
    Centre,
    Outbox,
    ReviewTask,
)
from navigation.services.outbox import outbox_add_claimed
from records.models import DocumentCategory, Patient

logger = logging.getLogger(__name__)

S = CaseStatus
# Allowed moves. Any open case may be withdrawn or found not suitable; the rest follow the
# service's steps, with a step back to "records requested" whenever something is missing.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.RECORDS_REQUESTED}),
    S.UNDER_REVIEW: frozenset({S.RECORDS_REQUESTED, S.SUMMARY_PREPARED, S.CENTRE_MATCHED}),
    S.RECORDS_REQUESTED: frozenset({S.UNDER_REVIEW, S.SUMMARY_PREPARED, S.CENTRE_MATCHED}),
    S.SUMMARY_PREPARED: frozenset({S.RECORDS_REQUESTED, S.CENTRE_MATCHED}),
    S.CENTRE_MATCHED: frozenset({S.RECORDS_REQUESTED, S.CONSULTATION_SCHEDULED}),
    S.CONSULTATION_SCHEDULED: frozenset({S.CENTRE_MATCHED, S.IN_TREATMENT}),
    S.IN_TREATMENT: frozenset({S.FOLLOW_UP}),
    S.FOLLOW_UP: frozenset({S.COMPLETED}),
}
for _status in list(ALLOWED_TRANSITIONS):
    ALLOWED_TRANSITIONS[_status] |= {S.NOT_SUITABLE, S.WITHDRAWN}
for _status in CLOSED_STATUSES:
    ALLOWED_TRANSITIONS[_status] = frozenset()


class TransitionNotAllowed(ValueError):
    """The move is not one of the service's steps from the case's current status."""


def transition_allowed(*, from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())


@transaction.atomic
def case_open(*, patient: Patient, submission_key: uuid.UUID | None = None) -> Case:
    """Open the case for a new submission, with its first history row and an outbox row.

    Call it inside the submission's transaction. After commit the review task is handed to
    the broker; if the broker is down the outbox row stays unsent and the sweeper re-sends it.
    """
    case = Case.objects.create(patient=patient, submission_key=submission_key)
    CaseEvent.objects.create(
        case=case, at=timezone.now(), to_status=CaseStatus.SUBMITTED, note="Submission received."
    )
    outbox_add_claimed(case=case, kind=Outbox.Kind.OPEN_CASE_REVIEW)
    return case


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to_status: str,
    actor: AbstractBaseUser | None,
    note: str = "",
) -> bool:
    """Move the case to `to_status` if it is still where the caller saw it.

    Returns False when someone else moved it first (a double click, a retried task): nothing
    is written then. Raises TransitionNotAllowed for a move that is not one of the steps.
    """
    from_status = case.status
    if not transition_allowed(from_status=from_status, to_status=to_status):
        raise TransitionNotAllowed(f"A case cannot move from {from_status} to {to_status}.")
    now = timezone.now()
    moved = Case.objects.filter(pk=case.pk, status=from_status).update(
        status=to_status, updated_at=now
    )
    if not moved:
        return False
    case.status = to_status
    case.updated_at = now
    if to_status not in (CaseStatus.SUBMITTED, CaseStatus.UNDER_REVIEW):
        # Records asked for, a summary made, a centre matched or the case closed: the
        # initial review has reached its decision, so it is no longer due (or reminded).
        ReviewTask.objects.filter(
            case=case, kind=ReviewTask.Kind.INITIAL_REVIEW, done_at__isnull=True
        ).update(done_at=now)
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor if actor and actor.is_authenticated else None,
        from_status=from_status,
        to_status=to_status,
        kind=CaseEventKind.STATUS_CHANGED,
        note=note,
    )
    return True


def case_event_record(
    *,
    case: Case,
    note: str = "",
    actor: AbstractBaseUser | None = None,
    kind: str = CaseEventKind.OTHER,
    data: dict | None = None,
) -> CaseEvent:
    """A history row that is not a status move (an outcome change, a summary built, an
    erasure request). Code reads `kind` and `data`; `note` is for people."""
    return CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        data=data or {},
        note=note,
    )


@transaction.atomic
def case_assign(*, case: Case, assignee: AbstractBaseUser, actor: AbstractBaseUser) -> bool:
    """Assign the case (and its open review task) to a coordinator."""
    if case.assignee_id == assignee.pk:
        return False
    Case.objects.filter(pk=case.pk).update(assignee=assignee, updated_at=timezone.now())
    case.assignee = assignee
    case.review_tasks.filter(done_at__isnull=True).update(assignee=assignee)
    case_event_record(case=case, actor=actor, note=f"Assigned to {assignee.get_username()}.")
    return True


@transaction.atomic
def case_note_create(*, case: Case, author: AbstractBaseUser, text: str) -> CaseNote:
    text = text.strip()
    if not text:
        raise ValueError("A note cannot be empty.")
    return CaseNote.objects.create(case=case, author=author, text=text)


def missing_record_labels(categories: list[str]) -> list[str]:
    labels = dict(DocumentCategory.choices)
    return [str(labels.get(category, category)) for category in categories]


@transaction.atomic
def case_centre_choose(*, case: Case, centre: Centre, actor: AbstractBaseUser | None) -> bool:
    """Match the case to a centre: the case moves to "centre matched" (or, when it is there
    already, the centre changes). False when the case had moved on meanwhile."""
    if not centre.active:
        raise ValueError("This centre is not active.")
    if case.status == CaseStatus.CENTRE_MATCHED:
        if case.centre_id == centre.pk:
            return False
        Case.objects.filter(pk=case.pk).update(centre=centre, updated_at=timezone.now())
        case.centre = centre
        case_event_record(case=case, actor=actor, note=f"Centre changed to {centre}.")
        return True
    moved = case_transition(
        case=case,
        to_status=CaseStatus.CENTRE_MATCHED,
        actor=actor,
        note=f"Centre matched: {centre}.",
    )
    if moved:
        Case.objects.filter(pk=case.pk).update(centre=centre)
        case.centre = centre
    return moved
