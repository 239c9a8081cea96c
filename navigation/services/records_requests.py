"""Records requests: what a coordinator asks the patient for, and what arrives for it.

A request is stored for the patient's portal and emailed; uploads made after it mark its
document categories received, a coordinator marks the rest by hand or closes it with a note.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from navigation.models import CLOSED_STATUSES, Case, CaseEventKind, CaseStatus, RecordsRequest
from navigation.services.cases import TransitionNotAllowed, case_event_record, case_transition
from records.models import Document, DocumentCategory, ScanStatus


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
