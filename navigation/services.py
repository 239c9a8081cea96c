"""Writes on cases: opening, moving along the steps, asking for records, handing work to Celery.

Every function is keyword-only and typed. Status moves go through `case_transition`, which is
a conditional UPDATE plus a history row, so a double click or a retried task changes nothing.
Patient data never goes into log lines or task arguments: logs name cases by primary key.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
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
    RecordsRequest,
    ReviewTask,
)
from records.models import Document, DocumentCategory, Patient, ScanStatus

logger = logging.getLogger(__name__)

# How long a publisher holds an outbox row before another may try it again.
OUTBOX_LEASE = timedelta(minutes=2)

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
    # The row is born claimed by this request, in the submission's own transaction: no other
    # publisher can take it, so after commit the task goes to the broker with no statement
    # first. Should this process die before it publishes, the lease runs out and the
    # sweeper sends the row.
    outbox = Outbox.objects.create(
        kind=Outbox.Kind.OPEN_CASE_REVIEW,
        case=case,
        claimed_until=timezone.now() + OUTBOX_LEASE,
        attempts=1,
    )
    # Robust: a database that fails right after the commit must not turn the patient's
    # stored submission into an error; the reconciler sends the row.
    transaction.on_commit(lambda: _outbox_send(outbox=outbox), robust=True)
    return case


def outbox_publish(
    *, outbox: Outbox, now: datetime | None = None, sent_before: datetime | None = None
) -> bool:
    """Hand one outbox row's task to the broker. True when it was sent by this call.

    The row is claimed first with a conditional UPDATE, so two publishers never send it at
    the same time; a failed send releases the claim and leaves the row for the sweeper. Never
    raises: it runs after commit, inside the patient's request. Only the row's key, kind and
    case are read from `outbox`, and they never change, so the caller's copy is as good as a
    fresh read: the claim is the only statement before the publish.

    A row is claimed when it was never sent, or (`sent_before`, for the reconciler) when it
    was sent before that time and its work is still not done: the broker took it, but it
    never came to anything (a lost broker, a task that gave up).
    """
    now = now or timezone.now()
    rows = Outbox.objects.filter(pk=outbox.pk, done_at__isnull=True)
    rows = rows.filter(sent_at__lt=sent_before) if sent_before else rows.filter(sent_at=None)
    claimed = rows.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(
        claimed_until=now + OUTBOX_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    return _outbox_send(outbox=outbox)


def _outbox_send(*, outbox: Outbox) -> bool:
    """Publish a row this caller has claimed; mark it sent, or release it for the sweeper.

    "Sent" is delivery only: the row is done when its work is (`outbox_done`)."""
    try:
        _publish(kind=outbox.kind, case_id=outbox.case_id)
    except Exception:
        # The broker is unreachable (or refused): keep the row unsent, free for the sweeper.
        logger.warning("outbox %s not sent; the reconciler will retry", outbox.pk, exc_info=True)
        Outbox.objects.filter(pk=outbox.pk, done_at__isnull=True).update(
            sent_at=None, claimed_until=None
        )
        return False
    Outbox.objects.filter(pk=outbox.pk).update(sent_at=timezone.now(), claimed_until=None)
    return True


def _publish(*, kind: str, case_id: int) -> None:
    from cancerfax.tasking import publish

    task = {Outbox.Kind.OPEN_CASE_REVIEW: "navigation.open_case_review"}[kind]
    # One attempt on short timeouts, so a dead or hung Redis costs the patient's request
    # about a second at most; the outbox row keeps the work.
    publish(task, [case_id])


def outbox_done(*, case: Case, kind: str, now: datetime | None = None) -> None:
    """The row's work is recorded: it is done, and no reconciler sends it again. Call it in
    the transaction that records the work."""
    Outbox.objects.filter(case=case, kind=kind, done_at__isnull=True).update(
        done_at=now or timezone.now(), claimed_until=None
    )


def outbox_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send outbox rows the broker never took. Returns how many were sent."""
    now = now or timezone.now()
    pending = (
        Outbox.objects.filter(sent_at__isnull=True, done_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at")
        .only("kind", "case")[:limit]
    )
    return sum(outbox_publish(outbox=outbox, now=now) for outbox in list(pending))


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


def case_erasure_requested(case: Case) -> CaseEvent | None:
    """The patient's latest request for erasure on this case's history, if any."""
    return case.events.filter(kind=CaseEventKind.ERASURE_REQUESTED).order_by("-at", "-pk").first()


def portal_url() -> str:
    return f"{settings.SITE_URL}/portal/"


@transaction.atomic
def records_request_create(
    *,
    case: Case,
    items: list[str],
    message: str,
    actor: AbstractBaseUser | None,
) -> RecordsRequest:
    """Ask the patient for records: stored for their portal, emailed, case moved along.

    `items` are document categories (`DocumentCategory` values) or short free-text lines.
    The email goes out inside the transaction: if the mail relay refuses it, nothing is saved
    and the coordinator sees the error and can try again.
    """
    items = [item.strip() for item in items if item and item.strip()]
    if not items:
        raise ValueError("Name at least one record to ask for.")
    if case.status in CLOSED_STATUSES:
        raise TransitionNotAllowed("This case is closed: no records can be requested.")
    records_request = RecordsRequest.objects.create(
        case=case, requested_by=actor, items=items, message=message.strip()
    )
    more = case.status == CaseStatus.RECORDS_REQUESTED
    if not more:
        case_transition(case=case, to_status=CaseStatus.RECORDS_REQUESTED, actor=actor)
    case_event_record(
        case=case,
        actor=actor,
        kind=CaseEventKind.RECORDS_REQUESTED,
        data={"request": records_request.pk, "items": items},
        note=("More records" if more else "Records")
        + " requested: "
        + ", ".join(records_request.item_labels),
    )
    lines = "\n".join(f"  - {label}" for label in records_request.item_labels)
    body = (
        f"Hello,\n\nTo continue the review of case {case.reference}, our coordinator needs "
        f"the following records:\n\n{lines}\n\n"
    )
    if records_request.message:
        body += f"{records_request.message}\n\n"
    body += (
        f"You can upload them in your patient portal: {portal_url()}\n\n"
        "CancerFax navigator care team\n"
    )
    send_mail(
        f"Case {case.reference}: records we need",
        body,
        None,
        [case.patient.email],
    )
    return records_request


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


# --- what arrives for a records request ----------------------------------------------------


def _request_locked(pk: int) -> RecordsRequest | None:
    return RecordsRequest.objects.select_for_update().select_related("case").filter(pk=pk).first()


def _request_mark(
    records_request: RecordsRequest,
    *,
    item: str,
    by: str,
    now: datetime,
    actor: AbstractBaseUser | None,
    document: Document | None = None,
) -> None:
    entry = {"at": now.isoformat(), "by": by}
    if document is not None:
        entry["document"] = str(document.public_id)
    records_request.received[item] = entry
    if all(i in records_request.received for i in records_request.items):
        records_request.fulfilled_at = now
    records_request.save(update_fields=["received", "fulfilled_at"])
    label = records_request.item_labels[records_request.items.index(item)]
    case_event_record(
        case=records_request.case,
        actor=actor,
        kind=CaseEventKind.RECORD_RECEIVED,
        data={"request": records_request.pk, "item": item, "by": by},
        note=f"Requested record received ({'upload' if by == 'upload' else 'marked by hand'}): "
        f"{label}.",
    )


@transaction.atomic
def records_requests_receive(*, case: Case, now: datetime | None = None) -> int:
    """Mark requested document categories received by uploads made after each request.

    A file the patient had sent before the request does not answer it: the coordinator asked
    because it was not enough. Infected files answer nothing. Returns how many items were
    marked received. Safe to run again (and from several places): each request is locked.
    """
    now = now or timezone.now()
    marked = 0
    for pk in case.records_requests.filter(
        fulfilled_at__isnull=True, closed_at__isnull=True
    ).values_list("pk", flat=True):
        records_request = _request_locked(pk)
        if records_request is None or not records_request.is_open:
            continue
        for item in records_request.items:
            if item in records_request.received or item not in DocumentCategory.values:
                continue
            document = (
                Document.objects.filter(
                    patient_id=case.patient_id,
                    category=item,
                    uploaded_at__gt=records_request.created_at,
                )
                .exclude(status=ScanStatus.INFECTED)
                .order_by("uploaded_at")
                .first()
            )
            if document is not None:
                _request_mark(
                    records_request, item=item, by="upload", now=now, actor=None, document=document
                )
                marked += 1
    return marked


@transaction.atomic
def records_request_item_receive(
    *, records_request: RecordsRequest, index: int, actor: AbstractBaseUser
) -> bool:
    """A coordinator marks one item received (a free-text item, or a record that came by
    another route). False when it was already received or the request is not open."""
    locked = _request_locked(records_request.pk)
    if locked is None or not locked.is_open or not 0 <= index < len(locked.items):
        return False
    item = locked.items[index]
    if item in locked.received:
        return False
    _request_mark(locked, item=item, by="coordinator", now=timezone.now(), actor=actor)
    records_request.refresh_from_db()
    return True


@transaction.atomic
def records_request_close(
    *, records_request: RecordsRequest, note: str, actor: AbstractBaseUser
) -> bool:
    """Close an open request with a note (the records will not come, or are no longer
    needed). Items not received stay so, shown as closed. False when it was not open."""
    note = note.strip()
    if not note:
        raise ValueError("Say why the request is closed.")
    now = timezone.now()
    closed = RecordsRequest.objects.filter(
        pk=records_request.pk, fulfilled_at__isnull=True, closed_at__isnull=True
    ).update(closed_at=now, closed_by=actor, close_note=note)
    if not closed:
        return False
    records_request.refresh_from_db()
    case_event_record(
        case=records_request.case,
        actor=actor,
        kind=CaseEventKind.RECORDS_REQUEST_CLOSED,
        data={"request": records_request.pk},
        note=f"Records request closed: {note}",
    )
    return True
