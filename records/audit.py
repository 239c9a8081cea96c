"""The audit trail: who saw which patient's data, when and from where, in a keyed hash chain.

Each row's hash is an HMAC-SHA256, keyed by `AUDIT_CHAIN_KEY` (from the environment, never
in the database), over its own fields and the previous row's hash: changing, removing or
reordering any row breaks every hash after it, and whoever can write the table but does not
hold the key cannot compute a chain that verifies. `verify_audit_chain` finds the break.

What the chain alone cannot show is a cut tail or an emptied table: a daily anchor
(`audit_chain_anchor`) writes the head outside the database (an append-only file, and a
mail when `AUDIT_ANCHOR_EMAILS` is set), and verification checks that every anchored head is
still there with the same hash. In the database, the app's role may only INSERT and SELECT
on this table, and triggers refuse UPDATE, DELETE and TRUNCATE (migrations 0003 and 0006).
Appends are serialised (an advisory lock on PostgreSQL; the unique prev_hash everywhere).
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from cancerfax.security import client_ip
from records.models import AuditEvent, Patient

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Arbitrary constant naming the audit chain's lock among PostgreSQL advisory locks.
_ADVISORY_LOCK_KEY = 0x5245_4344_4155_4454 & 0x7FFF_FFFF_FFFF_FFFF
# Query parameters that carry what a person typed to find someone: kept only as a digest.
SEARCH_PARAMETERS = frozenset({"q", "term"})


def _key(purpose: str) -> bytes:
    return hmac.new(settings.AUDIT_CHAIN_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def audit_hash(
    *,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    patient_ref: str | UUID | None,
    patients_shown: str = "",
    query: str = "",
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
            "patient_ref": str(patient_ref) if patient_ref else "",
            "patients_shown": patients_shown,
            "query": query,
            "target": target,
            "ip_address": ip_address,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hmac.new(_key("audit-chain"), canonical.encode("ascii"), hashlib.sha256).hexdigest()


def _event_hash(event: AuditEvent) -> str:
    return audit_hash(
        at=event.at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        patient_ref=event.patient_ref,
        patients_shown=event.patients_shown,
        query=event.query,
        target=event.target,
        ip_address=event.ip_address,
        prev_hash=event.prev_hash,
    )


def search_digest(term: str) -> str:
    """A keyed digest of a search term: the same term gives the same digest, so an
    investigator holding the key can tell who searched for a name, but the trail (which
    outlives erasure) never holds the name itself."""
    normalised = " ".join(term.split()).casefold()
    return hmac.new(_key("audit-search"), normalised.encode(), hashlib.sha256).hexdigest()[:16]


def audit_query(request: HttpRequest) -> str:
    """A list page's parameters as the audit row keeps them: search terms as digests."""
    parts = []
    for name, values in sorted(request.GET.lists()):
        for value in values:
            if name in SEARCH_PARAMETERS:
                parts.append(f"{name}=#{search_digest(value)}" if value else f"{name}=")
            else:
                parts.append(f"{name}={value[:40]}")
    return "&".join(parts)[:300]


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    actor_label: str,
    action: str,
    patient: Patient | None = None,
    patients: Iterable[Patient | UUID | str] = (),
    query: str = "",
    target: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one audit event to the chain and return it.

    One patient's record: `patient`. A list: `patients` (those shown, possibly none) and
    its `query` (see `audit_query`).
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
                ip_address=client_ip(request) if request is not None else None,
            )
        except IntegrityError:
            # Another writer appended after the same row first (only possible where the
            # database has no advisory lock); read the new last row and try again.
            continue
    raise RuntimeError("could not append to the audit chain")


def audit_list_record(
    *, request: HttpRequest, patients: Iterable[Patient | UUID | str], target: str
) -> AuditEvent:
    """One row for a list of patient data a staff member was shown (a changelist page, an
    autocomplete answer): the request's query, search terms as digests, and who was on it."""
    return audit_record(
        actor=request.user,
        actor_label=request.user.get_username(),
        action=AuditEvent.Action.VIEW_LIST,
        patients=[patient for patient in patients if patient is not None],
        query=audit_query(request),
        target=target,
        request=request,
    )


def _patient_path(model: type[Model]) -> str | None:
    """The lookup from a row of `model` to its patient's public id; None if it has none."""
    if model is Patient:
        return "public_id"
    try:
        patient = model._meta.get_field("patient")
    except FieldDoesNotExist:
        return None
    return "patient__public_id" if patient.related_model is Patient else None


def audit_autocomplete_answer(
    sender, *, request: HttpRequest, model: type[Model], to_field: str, ids: list, **kwargs
) -> None:
    """Receiver of the admin's `autocomplete_answered`: an answer that offered patients (or
    rows that belong to one) maps what was typed, an email for instance, to people. It is
    audited as a list: its query and the patients it named."""
    path = _patient_path(model)
    if path is None:
        return
    refs = model.objects.filter(**{f"{to_field}__in": ids}).values_list(path, flat=True)
    audit_list_record(
        request=request, patients=refs, target=f"autocomplete {model._meta.label_lower}"
    )


@transaction.atomic
def _append(
    *,
    actor: AbstractBaseUser | None,
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
    event.hash = _event_hash(event)
    event.save()
    return event


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainProblem:
    event_id: int | None
    problem: str


def audit_chain_verify(*, anchors: Path | None = None) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain in order and check it against the anchors written outside the
    database; return (events checked, problems found)."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS_HASH
    count = 0
    hashes: dict[int, str] = {}
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.pk, "does not follow the previous event"))
        if not hmac.compare_digest(_event_hash(event), event.hash):
            problems.append(ChainProblem(event.pk, "its contents were changed"))
        expected_prev = event.hash
        hashes[event.pk] = event.hash
    for anchor in audit_anchors_read(anchors):
        if anchor is None:
            problems.append(ChainProblem(None, "an anchor line was altered (its MAC is wrong)"))
            continue
        held = hashes.get(anchor["event_id"])
        if held is None:
            problems.append(
                ChainProblem(
                    anchor["event_id"],
                    f"anchored on {anchor['at'][:10]} but no longer in the database "
                    "(the table was emptied or its end cut off)",
                )
            )
        elif not hmac.compare_digest(held, anchor["hash"]):
            problems.append(
                ChainProblem(anchor["event_id"], "its hash differs from the one anchored")
            )
    return count, problems


# --- anchoring the head outside the database ---------------------------------------------


def _anchor_path(path: Path | None) -> Path:
    return Path(path or settings.AUDIT_ANCHOR_PATH)


def _anchor_mac(payload: dict) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hmac.new(_key("audit-anchor"), body.encode(), hashlib.sha256).hexdigest()


def audit_chain_anchor(*, path: Path | None = None, now: datetime | None = None) -> dict | None:
    """Append the chain's head (last id, its hash, the count) to the anchor file, and mail it
    to `AUDIT_ANCHOR_EMAILS` if set. None when the trail is empty."""
    head = AuditEvent.objects.order_by("-pk").only("pk", "hash").first()
    if head is None:
        return None
    now = now or timezone.now()
    payload = {
        "at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "event_id": head.pk,
        "hash": head.hash,
        "count": AuditEvent.objects.count(),
    }
    line = json.dumps({**payload, "mac": _anchor_mac(payload)}, sort_keys=True)
    target = _anchor_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Opened for appending only: an anchor already written is never rewritten from here.
    with target.open("a", encoding="ascii") as handle:
        handle.write(line + "\n")
    if settings.AUDIT_ANCHOR_EMAILS:
        send_mail(
            f"Audit chain anchor {payload['at'][:10]}",
            f"Keep this line; verify_audit_chain checks the trail against it.\n\n{line}\n",
            None,
            list(settings.AUDIT_ANCHOR_EMAILS),
        )
    return payload


def audit_anchors_read(path: Path | None = None) -> list[dict | None]:
    """The anchors written so far (None for a line whose MAC does not match)."""
    target = _anchor_path(path)
    if not target.exists():
        return []
    anchors: list[dict | None] = []
    for raw in target.read_text(encoding="ascii").splitlines():
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            mac = data.pop("mac")
        except (ValueError, KeyError, AttributeError):
            anchors.append(None)
            continue
        anchors.append(data if hmac.compare_digest(mac, _anchor_mac(data)) else None)
    return anchors
