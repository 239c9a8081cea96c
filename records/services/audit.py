"""Appending to the audit trail, and anchoring its head outside the database.

The chain itself (hashes, verification) is `records.audit`.
"""

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from records.audit import (
    GENESIS_HASH,
    audit_anchor_mac,
    audit_anchor_path,
    audit_event_hash,
)
from records.models import AuditEvent, Patient

# Arbitrary constant naming the audit chain's lock among PostgreSQL advisory locks.
_ADVISORY_LOCK_KEY = 0x5245_4344_4155_4454 & 0x7FFF_FFFF_FFFF_FFFF


def audit_record(
    *,
    actor: User | None,
    actor_label: str,
    action: str,
    patient: Patient | None = None,
    patients: Iterable[Patient | UUID | str] = (),
    query: str = "",
    target: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit event to the chain and return it.

    One patient's record: `patient`. A list: `patients` (those shown, possibly none) and
    its `query` (see `records.audit.audit_query`). `ip_address`: where the request came
    from (`cancerfax.security.client_ip`), None for work no request asked for.
    """
    shown = " ".join(sorted({str(p.public_id if isinstance(p, Patient) else p) for p in patients}))
    for _attempt in range(5):
        try:
            return _append(
                actor=actor,
                actor_label=actor_label,
                action=action,
                patient_ref=patient.public_id if patient is not None else None,
                patients_shown=shown,
                query=query,
                target=target,
                ip_address=ip_address,
            )
        except IntegrityError:
            # Another writer appended after the same row first (only possible where the
            # database has no advisory lock); read the new last row and try again.
            continue
    raise RuntimeError("could not append to the audit chain")


def audit_list_record(
    *,
    actor: User,
    patients: Iterable[Patient | UUID | str | None],
    query: str,
    target: str,
    ip_address: str | None,
) -> AuditEvent:
    """One row for a list of patient data a staff member was shown (a changelist page, an
    autocomplete answer): its query (search terms as digests), and who was on it."""
    return audit_record(
        actor=actor,
        actor_label=actor.get_username(),
        action=AuditEvent.Action.VIEW_LIST,
        patients=[patient for patient in patients if patient is not None],
        query=query,
        target=target,
        ip_address=ip_address,
    )


@transaction.atomic
def _append(
    *,
    actor: User | None,
    actor_label: str,
    action: str,
    patient_ref: UUID | None,
    patients_shown: str,
    query: str,
    target: str,
    ip_address: str | None,
) -> AuditEvent:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
    last = AuditEvent.objects.order_by("-pk").only("hash", "at").first()
    prev_hash = last.hash if last else GENESIS_HASH
    at = timezone.now()
    if last and at < last.at:
        at = last.at  # a clock step back must not reorder the trail
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        at=at,
        actor_id=actor_id,
        actor_label=actor_label[:150],
        action=action,
        patient_ref=patient_ref,
        patients_shown=patients_shown,
        query=query[:300],
        target=target[:100],
        ip_address=ip_address,
        prev_hash=prev_hash,
    )
    event.hash = audit_event_hash(event)
    event.save()
    return event


def audit_chain_anchor(*, path: Path | None = None, now: datetime | None = None) -> dict | None:
    """Append the chain's head (last id, its hash, the count) to the anchor file, and mail it
    to `AUDIT_ANCHOR_EMAILS` if set. None when the trail is empty."""
    head = AuditEvent.objects.order_by("-pk").only("pk", "hash").first()
    if head is None:
        return None
    now = now or timezone.now()
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    payload = {
        "at": at,
        "event_id": head.pk,
        "hash": head.hash,
        "count": AuditEvent.objects.count(),
    }
    line = json.dumps({**payload, "mac": audit_anchor_mac(payload)}, sort_keys=True)
    target = audit_anchor_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Opened for appending only: an anchor already written is never rewritten from here.
    with target.open("a", encoding="ascii") as handle:
        handle.write(line + "\n")
    if settings.AUDIT_ANCHOR_EMAILS:
        send_mail(
            f"Audit chain anchor {at[:10]}",
            f"Keep this line; verify_audit_chain checks the trail against it.\n\n{line}\n",
            None,
            list(settings.AUDIT_ANCHOR_EMAILS),
        )
    return payload
