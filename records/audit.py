"""The audit trail: who saw which patient's data, when and from where, in a hash chain.

Each row's hash covers its own fields and the previous row's hash, so changing, removing
or reordering any row breaks every hash after it; `verify_audit_chain` finds the break.
Appends are serialised (an advisory lock on PostgreSQL; the unique prev_hash everywhere).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from records.models import AuditEvent, Patient

GENESIS_HASH = "0" * 64
# Arbitrary constant naming the audit chain's lock among PostgreSQL advisory locks.
_ADVISORY_LOCK_KEY = 0x5245_4344_4155_4454 & 0x7FFF_FFFF_FFFF_FFFF


def audit_hash(
    *,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    patient_ref: str,
    target: str,
    ip_address: str | None,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "patient_ref": str(patient_ref),
            "target": target,
            "ip_address": ip_address,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _event_hash(event: AuditEvent) -> str:
    return audit_hash(
        at=event.at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        patient_ref=str(event.patient_ref),
        target=event.target,
        ip_address=event.ip_address,
        prev_hash=event.prev_hash,
    )


def client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: a forwarded header is whatever the client wants it to be unless a
    # trusted proxy rewrites it, which is a deployment decision made in the proxy.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    actor_label: str,
    action: str,
    patient: Patient,
    target: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one audit event to the chain and return it."""
    for _attempt in range(5):
        try:
            return _append(
                actor=actor,
                actor_label=actor_label,
                action=action,
                patient=patient,
                target=target,
                ip_address=client_ip(request),
            )
        except IntegrityError:
            # Another writer appended after the same row first (only possible where the
            # database has no advisory lock); read the new last row and try again.
            continue
    raise RuntimeError("could not append to the audit chain")


@transaction.atomic
def _append(
    *,
    actor: AbstractBaseUser | None,
    actor_label: str,
    action: str,
    patient: Patient,
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
        patient_ref=patient.public_id,
        target=target[:100],
        ip_address=ip_address,
        prev_hash=prev_hash,
    )
    event.hash = _event_hash(event)
    event.save()
    return event


@dataclass(frozen=True, slots=True)
class ChainProblem:
    event_id: int
    problem: str


def audit_chain_verify() -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain in order; return (events checked, problems found)."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.pk, "does not follow the previous event"))
        if _event_hash(event) != event.hash:
            problems.append(ChainProblem(event.pk, "its contents were changed"))
        expected_prev = event.hash
    return count, problems
