"""The patient portal: sign-in by an emailed link, then the patient's own cases.

A patient has no password. They ask for a link; the link carries a random token, signed and
time-stamped; we keep only the token's SHA-256, and a conditional UPDATE spends it, so a
link works once, for `LINK_LIFETIME`, and a leaked database gives no usable links.

Addresses are compared in their canonical form (records.emails) by exact equality, never
case-insensitively: a look-alike address on another domain finds nothing. A link is bound
to the patients whose address it was issued for, and so is the session it opens: every case
page is looked up through both the address and those patients, and a case outside them is
404, exactly like a case that does not exist.

Asking for a link does the same work for every address (one row, one queued task), so
neither the answer nor its timing tells whether we hold a case for it. Nobody can block
someone else's sign-in: an address is never refused, it is just mailed at most once per
`PORTAL_SIGNIN_MAIL_INTERVAL_SECONDS`, silently.
"""

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cancerfax.roles import coordinator_addresses
from cancerfax.tasking import enqueue
from navigation.models import Case, CaseEventKind, CaseStatus, PortalSignInRequest, PortalToken
from navigation.services.cases import case_event_record, case_transition
from records.emails import email_canonical_or_none
from records.models import Patient

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=30)

# The salt keeps its first name: links already mailed stay valid.
_signer = signing.TimestampSigner(salt="navigation.portal.signin-link")


# --- sign-in links --------------------------------------------------------------------


def _canonical(email: str) -> str:
    return email_canonical_or_none(email) or email.strip()


def _patients_with_cases(email: str):
    return Patient.objects.filter(email=email, case__isnull=False)


@dataclass(frozen=True, slots=True)
class PortalGrant:
    """What a spent link opens: its address and the patients it was issued for."""

    email: str
    patient_ids: list[int]


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def portal_link_issue(*, email: str, now: datetime | None = None) -> str:
    """Store a new single-use link for this address and return its signed token."""
    now = now or timezone.now()
    email = _canonical(email)
    raw = secrets.token_urlsafe(32)
    row = PortalToken.objects.create(
        email=email, token_hash=_token_hash(raw), expires_at=now + LINK_LIFETIME
    )
    row.patients.set(_patients_with_cases(email))
    return _signer.sign(raw)


def _token_row(token: str, now: datetime) -> PortalToken | None:
    """The unspent, unexpired row behind a signed token, or None for any bad token."""
    try:
        raw = _signer.unsign(token, max_age=LINK_LIFETIME)
    except signing.BadSignature:  # tampered, truncated or expired (SignatureExpired)
        return None
    return PortalToken.objects.filter(
        token_hash=_token_hash(raw), used_at__isnull=True, expires_at__gt=now
    ).first()


def portal_link_valid(*, token: str, now: datetime | None = None) -> bool:
    """Whether the link would open the portal now (shown before it is spent)."""
    return _token_row(token, now or timezone.now()) is not None


def portal_link_redeem(*, token: str, now: datetime | None = None) -> PortalGrant | None:
    """Spend a link; return what it opens, or None when it is bad, expired or used."""
    now = now or timezone.now()
    row = _token_row(token, now)
    if row is None:
        return None
    # Two clicks racing on the same link: only one UPDATE finds used_at still empty.
    spent = PortalToken.objects.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if spent != 1:
        return None
    patient_ids = list(row.patients.values_list("pk", flat=True))
    return PortalGrant(email=row.email, patient_ids=patient_ids)


@transaction.atomic
def portal_signin_request(*, email: str) -> PortalSignInRequest:
    """Record a request for a sign-in link; a task decides after commit whether to mail one.

    The same one-row write for every address: whether we know it is looked up in the task,
    never in the request, so the response time says nothing about it.
    """
    row = PortalSignInRequest.objects.create(email=_canonical(email))
    transaction.on_commit(functools.partial(_signin_request_enqueue, row.pk))
    return row


def _signin_request_enqueue(request_id: int) -> None:
    # Fails fast when the broker is down: the patient asks again; the answer must not turn
    # into an error or a wait.
    enqueue(
        "navigation.send_portal_signin_link",
        request_id,
        what=f"portal sign-in request {request_id}",
    )


def portal_signin_request_handle(*, request_id: int, now: datetime | None = None) -> bool:
    """Mail a sign-in link for a recorded request if its address has a case and was not
    mailed a link in the last interval; True if mailed.

    A conditional UPDATE claims the request, so a redelivered task mails nothing twice; it
    also blanks the address, which the table need not keep once the request is handled.
    """
    now = now or timezone.now()
    row = PortalSignInRequest.objects.filter(pk=request_id, handled_at__isnull=True).first()
    if row is None:
        return False
    claimed = PortalSignInRequest.objects.filter(pk=row.pk, handled_at__isnull=True).update(
        handled_at=now, email=""
    )
    if not claimed or not _patients_with_cases(row.email).exists():
        return False
    if not _first_mail_in_interval(row.email, now):
        return False
    portal_link_mail(email=row.email, template="navigation/email/portal_link.txt")
    return True


def _first_mail_in_interval(email: str, now: datetime) -> bool:
    """Claim this address's one sign-in mail of the current interval; False if taken.

    Keyed by a hash (no address in the cache). When the cache is down, the links issued to
    the address (kept a day) answer instead.
    """
    interval = settings.PORTAL_SIGNIN_MAIL_INTERVAL_SECONDS
    key = f"portal-signin:mailed:{hashlib.sha256(email.encode()).hexdigest()}"
    try:
        return bool(cache.add(key, 1, timeout=interval))
    except Exception as exc:
        logger.warning("portal sign-in interval from the database: cache %s", type(exc).__name__)
    since = now - timedelta(seconds=interval)
    return not PortalToken.objects.filter(email=email, created_at__gte=since).exists()


def portal_links_purge(*, now: datetime | None = None, age: timedelta = timedelta(days=1)) -> int:
    """Delete spent or expired sign-in links and sign-in requests older than `age`."""
    now = now or timezone.now()
    cutoff = now - age
    tokens, _counts = (
        PortalToken.objects.filter(created_at__lt=cutoff)
        .filter(Q(used_at__isnull=False) | Q(expires_at__lte=now))
        .delete()
    )
    requests, _counts = PortalSignInRequest.objects.filter(created_at__lt=cutoff).delete()
    return tokens + requests


def portal_link_mail(*, email: str, template: str, context: dict | None = None) -> None:
    """Issue a link and mail it with the given body template."""
    token = portal_link_issue(email=email)
    link = settings.SITE_URL + reverse("navigation:portal_link", args=[token])
    body = render_to_string(
        template, {"link": link, "minutes": LINK_LIFETIME.seconds // 60, **(context or {})}
    )
    subject, _sep, text = body.partition("\n")
    send_mail(subject.strip(), text.lstrip(), None, [email])


# --- withdrawal -----------------------------------------------------------------------


@transaction.atomic
def case_withdraw(*, case: Case, erase: bool, now: datetime | None = None) -> bool:
    """The patient withdraws consent (and may ask for erasure): the case closes as withdrawn,
    with a history row the coordinators see, and the coordinators are told.

    False when there was nothing new to say (a second click on an already withdrawn case).
    """
    now = now or timezone.now()
    if case.status == CaseStatus.WITHDRAWN and not erase:
        return False
    case.patient.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    note = "The patient withdrew consent in the portal."
    if erase:
        note += " They ask for their personal data and documents to be erased."
    # A coordinator may move the case while the patient clicks: try again from where it is.
    while not case.is_closed:
        if case_transition(case=case, to_status=CaseStatus.WITHDRAWN, actor=None, note=note):
            break
        case.refresh_from_db(fields=["status"])
    else:
        # Already closed (e.g. not suitable): the withdrawal still reaches the history.
        case_event_record(case=case, note=note)
    if erase:
        # A typed event: the erasure page reads this, never the note's wording.
        case_event_record(
            case=case,
            kind=CaseEventKind.ERASURE_REQUESTED,
            data={"source": "portal"},
            note="The patient asked for their personal data and documents to be erased.",
        )
    recipients = coordinator_addresses()
    if recipients:
        body = render_to_string(
            "navigation/email/withdrawal_to_coordinators.txt", {"case": case, "erase": erase}
        )
        subject, _sep, text = body.partition("\n")
        transaction.on_commit(lambda: send_mail(subject.strip(), text.lstrip(), None, recipients))
    return True
