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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest

from records.models import AuditEvent

GENESIS_HASH = "0" * 64
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


def audit_event_hash(event: AuditEvent) -> str:
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
        if not hmac.compare_digest(audit_event_hash(event), event.hash):
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


def audit_anchor_path(path: Path | None) -> Path:
    return Path(path or settings.AUDIT_ANCHOR_PATH)


def audit_anchor_mac(payload: dict) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hmac.new(_key("audit-anchor"), body.encode(), hashlib.sha256).hexdigest()


def audit_anchors_read(path: Path | None = None) -> list[dict | None]:
    """The anchors written so far (None for a line whose MAC does not match)."""
    target = audit_anchor_path(path)
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
        anchors.append(data if hmac.compare_digest(mac, audit_anchor_mac(data)) else None)
    return anchors
