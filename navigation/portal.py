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

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cancerfax.roles import coordinator_addresses, staff_display_name
from cancerfax.security import PORTAL_SESSION_KEY, rate_limited
from navigation.models import Case, CaseEventKind, CaseStatus, PortalSignInRequest, PortalToken
from navigation.review import case_missing_records_refresh
from navigation.services import case_event_record, case_transition
from records import tus
from records.emails import CanonicalEmailFormField, email_canonical_or_none
from records.models import AuditEvent, Document, DocumentCategory, Patient
from records.responses import document_download_response
from records.services.audit import audit_record
from records.services.documents import (
    DocumentUnavailable,
    clean_original_name,
    document_add_to_patient,
)
from records.services.resumable import UploadOwner
from records.uploads import (
    client_bytes_spent,
    counts_client_bytes,
    files_overflow_message,
    files_overflowed,
)
from records.validation import FileRefused

logger = logging.getLogger(__name__)

# The signed-in patient's address; the site's session security knows a patient by it.
SESSION_EMAIL = PORTAL_SESSION_KEY
# The primary keys of the patients the link was issued for.
SESSION_PATIENTS = "portal_patients"
PATIENT_LABEL = "patient (portal)"
LINK_LIFETIME = timedelta(minutes=30)
# The per-client limit (settings.PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT) counts requests in this
# window: enough for a patient who mistypes a few times; too few to probe many addresses.
SIGNIN_WINDOW_SECONDS = 15 * 60

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
    from cancerfax.tasking import enqueue

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


# --- access ---------------------------------------------------------------------------


def portal_email(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_EMAIL)


def _own_cases(request: HttpRequest):
    email = portal_email(request)
    patient_ids = request.session.get(SESSION_PATIENTS) or []
    if not email or not patient_ids:
        return Case.objects.none()
    return Case.objects.filter(patient__email=email, patient_id__in=patient_ids).select_related(
        "patient"
    )


def _case_or_404(request: HttpRequest, reference: str) -> Case:
    return get_object_or_404(_own_cases(request), reference=reference)


def _signed_in_or_signin_page(view):
    """Anonymous visitors of any portal page get the sign-in page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not portal_email(request):
            return redirect("navigation:portal")
        return view(request, *args, **kwargs)

    return wrapper


# --- forms ----------------------------------------------------------------------------


class SignInForm(forms.Form):
    email = CanonicalEmailFormField(
        label=_("Your email address"),
        help_text=_("The address you gave when you submitted your records."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PortalUploadForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it?"), choices=DocumentCategory.choices)


class WithdrawalForm(forms.Form):
    erase = forms.BooleanField(
        label=_("Also erase my personal data and documents"),
        required=False,
        help_text=_("A coordinator will confirm by email once it is done."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my case will be closed and no longer reviewed"),
        error_messages={"required": _("Please tick this box to confirm.")},
    )


# --- views: signing in and out --------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def portal(request: HttpRequest) -> HttpResponse:
    """The sign-in page for visitors; the list of their cases for a signed-in patient."""
    if not portal_email(request):
        return render(request, "navigation/portal_signin.html", {"form": SignInForm()})
    cases = _own_cases(request).order_by("-created_at")
    return render(request, "navigation/portal_cases.html", {"cases": cases})


@require_http_methods(["GET", "HEAD", "POST"])
def portal_signin(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("navigation:portal")
    form = SignInForm(request.POST)
    if not form.is_valid():
        return render(request, "navigation/portal_signin.html", {"form": form}, status=400)
    # Many addresses from one place are refused; one address from many places never is
    # (that would let anyone block a patient's sign-in): its mails are capped in the task.
    over_ip = rate_limited(
        request,
        scope="portal-signin",
        limit=settings.PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT,
        period=SIGNIN_WINDOW_SECONDS,
    )
    if over_ip:
        return render(request, "navigation/portal_signin_limited.html", status=429)
    portal_signin_request(email=form.cleaned_data["email"])
    return render(request, "navigation/portal_link_sent.html")


@require_http_methods(["GET", "HEAD", "POST"])
def portal_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST spends the link.

    Mail scanners open links to check them; spending the token on GET would let them use it
    up before the patient clicks.
    """
    if request.method != "POST":
        valid = _token_row(token, timezone.now()) is not None
        return render(
            request,
            "navigation/portal_link.html",
            {"valid": valid, "token": token, "form": SignInForm()},
            status=200 if valid else 400,
        )
    grant = portal_link_redeem(token=token)
    if grant is None:
        context = {"valid": False, "token": token, "form": SignInForm()}
        return render(request, "navigation/portal_link.html", context, status=400)
    # A new session key at sign-in: a session id planted before sign-in is worth nothing.
    request.session.cycle_key()
    request.session[SESSION_EMAIL] = grant.email
    request.session[SESSION_PATIENTS] = grant.patient_ids
    return redirect("navigation:portal")


@require_POST
def portal_signout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("navigation:portal")


# --- views: the patient's case --------------------------------------------------------


def _case_context(request: HttpRequest, case: Case, **extra) -> dict:
    patient = case.patient
    staff_views = list(
        AuditEvent.objects.for_patient(patient)
        .filter(actor__isnull=False)
        .select_related("actor")
        .prefetch_related("actor__groups")
        .only("at", "action", "actor__first_name", "actor__last_name")
        .order_by("-at")
    )
    for event in staff_views:
        event.staff_name = staff_display_name(event.actor)
    return {
        "case": case,
        "timeline": case.events.exclude(to_status="").order_by("at", "pk"),
        "requests": case.records_requests.order_by("-created_at"),
        "documents": patient.documents.order_by("category", "uploaded_at"),
        "staff_views": staff_views,
        "upload_form": PortalUploadForm(),
        "resumable_chunk_bytes": settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES,
        "withdraw_form": WithdrawalForm(),
        **extra,
    }


@_signed_in_or_signin_page
@require_http_methods(["GET", "HEAD"])
def portal_case(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    # The patient's own look at their records is part of the trail too (shown to staff).
    audit_record(
        actor=None,
        actor_label=PATIENT_LABEL,
        action=AuditEvent.Action.VIEW_CASE,
        patient=case.patient,
        target=case.reference,
        request=request,
    )
    return render(request, "navigation/portal_case.html", _case_context(request, case))


@_signed_in_or_signin_page
@require_POST
def portal_upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    form = PortalUploadForm(request.POST)
    files = request.FILES.getlist("files")
    errors: list[str] = []
    if form.is_valid() and not files:
        form.add_error(None, _("Choose at least one file."))
    if not form.is_valid() or case.is_closed:
        if case.is_closed:
            errors.append(str(_("This case is closed; it takes no more documents.")))
        context = _case_context(request, case, upload_form=form, upload_errors=errors)
        return render(request, "navigation/portal_case.html", context, status=400)
    added = 0
    if files_overflowed(request):
        errors.append(files_overflow_message())
    for upload in files:
        try:
            document_add_to_patient(
                patient=case.patient, category=form.cleaned_data["category"], upload=upload
            )
            added += 1
        except FileRefused as exc:
            errors.append(f"{clean_original_name(upload.name)}: {exc.reason}")
    if added:
        # What is missing, and which requested records have now arrived.
        case_missing_records_refresh(case=case)
    if errors:
        context = _case_context(request, case, upload_form=form, upload_errors=errors)
        context["uploaded_count"] = added
        return render(request, "navigation/portal_case.html", context, status=400)
    _upload_received_message(request, added)
    return redirect(reverse("navigation:portal_case", args=[case.reference]) + "#documents")


def _upload_received_message(request: HttpRequest, added: int) -> None:
    messages.success(
        request,
        ngettext(
            "Thank you: %(count)d file received. It is being checked for viruses, then a "
            "coordinator will look at it.",
            "Thank you: %(count)d files received. They are being checked for viruses, then a "
            "coordinator will look at them.",
            added,
        )
        % {"count": added},
        extra_tags="upload",
    )


def _closed_case_refusal() -> HttpResponse:
    response = JsonResponse(
        {"error": str(_("This case is closed; it takes no more documents."))}, status=400
    )
    response["Tus-Resumable"] = tus.TUS_VERSION
    return response


# Resumable uploads (records/tus.py) into one of the patient's cases, from the upload
# script: reached only by a signed-in patient, for their own open case (404 otherwise, like
# any case they cannot see), and each upload only from the browser session that began it.


def _byte_budget(request: HttpRequest):
    """Counts a piece's bytes against this client's hourly budget, as a form's upload."""
    if not counts_client_bytes(request):
        return None
    return lambda size: client_bytes_spent(request, adding=size)


@require_http_methods(["OPTIONS", "POST"])
def portal_resumable_create(request: HttpRequest, reference: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return tus.options_response()
    if refused := tus.version_refused(request):
        return refused
    case = _case_or_404(request, reference)
    if case.is_closed:
        return _closed_case_refusal()
    if rate_limited(request, scope="uploads", limit=settings.UPLOAD_RATE_LIMIT, period=60):
        return JsonResponse(
            {"error": str(_("Too many files in a short time. Please wait a minute."))},
            status=429,
        )
    return tus.create(
        request,
        owner=UploadOwner(patient=case.patient, session_key=request.session.session_key or ""),
        location=lambda upload: reverse(
            "navigation:portal_resumable_upload", args=[case.reference, upload.public_id]
        ),
        spend=_byte_budget(request),
    )


@require_http_methods(["HEAD", "PATCH", "DELETE", "GET"])
def portal_resumable_upload(request: HttpRequest, reference: str, public_id) -> HttpResponse:
    case = _case_or_404(request, reference)
    if case.is_closed and request.method == "PATCH":
        return _closed_case_refusal()

    def received(upload) -> None:
        # What is missing, and which requested records have now arrived (as a form's upload).
        if upload.document is not None and not upload.duplicate:
            case_missing_records_refresh(case=case)
            _upload_received_message(request, 1)

    return tus.serve(
        request,
        owner=UploadOwner(patient=case.patient, session_key=request.session.session_key or ""),
        public_id=public_id,
        result=lambda document: {
            "id": str(document.public_id),
            "name": document.original_name,
            "size": document.size,
        },
        spend=_byte_budget(request),
        on_complete=received,
    )


@_signed_in_or_signin_page
@require_http_methods(["GET", "HEAD"])
def portal_document(request: HttpRequest, reference: str, document_id: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    document = get_object_or_404(
        Document.objects.filter(patient=case.patient), public_id=document_id
    )
    if not document.is_downloadable:
        raise Http404
    try:
        return document_download_response(
            document=document, actor=None, actor_label=PATIENT_LABEL, request=request
        )
    except DocumentUnavailable:
        raise Http404 from None


@_signed_in_or_signin_page
@require_POST
def portal_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    form = WithdrawalForm(request.POST)
    if not form.is_valid():
        context = _case_context(request, case, withdraw_form=form)
        return render(request, "navigation/portal_case.html", context, status=400)
    erase = form.cleaned_data["erase"]
    if case_withdraw(case=case, erase=erase):
        text = str(_("Your consent is withdrawn and your case is closed."))
        if erase:
            text += " " + str(_("We will erase your data and confirm by email."))
        messages.success(request, text)
    return redirect("navigation:portal_case", reference=case.reference)


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
