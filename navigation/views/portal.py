"""The patient portal's pages: sign-in by an emailed link, then the patient's own cases.

The links, the sign-in requests and the withdrawal are services
(`navigation.services.portal`); these views translate HTTP: the session, forms and pages.

A session opened by a link is bound to the address and the patients the link was issued
for: every case page is looked up through both, and a case outside them is 404, exactly
like a case that does not exist.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cancerfax.roles import staff_display_name
from cancerfax.security import client_ip, rate_limited
from navigation.forms import PortalUploadForm, SignInForm, WithdrawalForm
from navigation.models import Case
from navigation.services.portal import (
    case_withdraw,
    portal_link_redeem,
    portal_link_valid,
    portal_signin_request,
)
from navigation.services.review import case_missing_records_refresh
from navigation.sessions import SESSION_EMAIL, SESSION_PATIENTS
from records import tus
from records.filenames import display_name
from records.models import AuditEvent, Document
from records.responses import document_download_response
from records.services.audit import audit_record
from records.services.documents import (
    DocumentUnavailable,
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

# How the patient is named in the audit trail when they look at their own records.
PATIENT_LABEL = "patient (portal)"
# The per-client limit (settings.PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT) counts requests in this
# window: enough for a patient who mistypes a few times; too few to probe many addresses.
SIGNIN_WINDOW_SECONDS = 15 * 60


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
        valid = portal_link_valid(token=token)
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
        ip_address=client_ip(request),
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
            errors.append(f"{display_name(upload.name)}: {exc.reason}")
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
