"""Staff views behind the case page: audited downloads, the audit trail, and the forms.

They are mounted inside the admin (`CaseAdmin.get_urls`, wrapped by `admin_view`), so the
admin's sign-in and second factor guard them; each also checks the model permission, so a
content editor gets 403. Every view of patient data writes one audit row.
"""

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cancerfax.security import client_ip
from navigation.forms import CaseNoteForm, CaseTransitionForm, CentreChoiceForm, RecordsRequestForm
from navigation.models import Case, RecordsRequest
from navigation.selectors import case_audit_trail, case_erasure_requested
from navigation.services.cases import (
    TransitionNotAllowed,
    case_centre_choose,
    case_note_create,
    case_transition,
    transition_allowed,
)
from navigation.services.privacy import ERASE_PERMISSION, case_erase
from navigation.services.records_requests import (
    records_request_close,
    records_request_create,
    records_request_item_receive,
)
from navigation.services.summary import summary_build
from records.models import AuditEvent, Document
from records.responses import document_download_response, document_unavailable_response
from records.services.audit import audit_record
from records.services.documents import DocumentUnavailable


def audit(request: HttpRequest, *, action: str, case: Case, target: str) -> None:
    """One append-only audit row for this view of the case's patient data."""
    audit_record(
        actor=request.user,
        actor_label=request.user.get_username(),
        action=action,
        patient=case.patient,
        target=target,
        ip_address=client_ip(request),
    )


def _case(request: HttpRequest, case_id: int, perm: str) -> Case:
    if not request.user.has_perm(perm):
        raise PermissionDenied
    return get_object_or_404(Case.objects.select_related("patient"), pk=case_id)


def _back(case: Case) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:navigation_case_change", args=[case.pk]))


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@permission_required("records.view_document", raise_exception=True)
def case_document_download(request: HttpRequest, case_id: int, document_id) -> HttpResponse:
    case = _case(request, case_id, "navigation.view_case")
    document = get_object_or_404(Document, public_id=document_id, patient_id=case.patient_id)
    try:
        return document_download_response(
            document=document,
            request=request,
            actor=request.user,
            actor_label=request.user.get_username(),
        )
    except DocumentUnavailable as exc:
        messages.error(request, exc.reason)
        return document_unavailable_response(exc)


@require_GET
def case_summary_download(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "navigation.view_oncologysummary")
    # Always the summary of the current profile: rebuilt here if the profile changed.
    summary = summary_build(case_id=case.pk)
    audit(request, action=AuditEvent.Action.DOWNLOAD_SUMMARY, case=case, target=case.reference)
    response = FileResponse(
        storages["private"].open(summary.storage_name, "rb"),
        as_attachment=True,
        filename=f"oncology-summary-{case.reference}.pdf",
        content_type="application/pdf",
    )
    return _private(response)


@require_GET
def case_audit_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "records.view_auditevent")
    audit(request, action=AuditEvent.Action.VIEW_RECORDS, case=case, target="audit trail")
    context = {
        **admin.site.each_context(request),
        "case": case,
        "events": case_audit_trail(case).select_related("actor")[:500],
        "title": f"Audit trail of case {case.reference}",
        "opts": Case._meta,
    }
    return _private(TemplateResponse(request, "admin/navigation/case/audit.html", context))


@require_POST
def case_request_records(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "navigation.add_recordsrequest")
    form = RecordsRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(case)
    try:
        records_request_create(
            case=case,
            items=form.cleaned_data["all_items"],
            message=form.cleaned_data["message"],
            actor=request.user,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Records requested: the patient has been emailed.")
    return _back(case)


def _records_request(case: Case, request_id: int) -> RecordsRequest:
    return get_object_or_404(
        RecordsRequest.objects.select_related("case"), pk=request_id, case=case
    )


@require_POST
def case_records_item_receive(
    request: HttpRequest, case_id: int, request_id: int, index: int
) -> HttpResponse:
    case = _case(request, case_id, "navigation.change_recordsrequest")
    records_request = _records_request(case, request_id)
    if records_request_item_receive(
        records_request=records_request, index=index, actor=request.user
    ):
        messages.success(request, "Marked received.")
    else:
        messages.warning(request, "Nothing changed: already received, or the request is closed.")
    return _back(case)


@require_POST
def case_records_request_close(
    request: HttpRequest, case_id: int, request_id: int
) -> HttpResponse:
    case = _case(request, case_id, "navigation.change_recordsrequest")
    records_request = _records_request(case, request_id)
    try:
        closed = records_request_close(
            records_request=records_request,
            note=request.POST.get("close_note", ""),
            actor=request.user,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        if closed:
            messages.success(request, "Records request closed.")
        else:
            messages.warning(request, "This request was already closed or fulfilled.")
    return _back(case)


@require_POST
def case_add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "navigation.add_casenote")
    form = CaseNoteForm(request.POST)
    if form.is_valid():
        case_note_create(case=case, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Note added.")
    else:
        messages.error(request, "A note cannot be empty.")
    return _back(case)


@require_POST
def case_move(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "navigation.change_case")
    form = CaseTransitionForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, "That move is not possible from the case's current step.")
        return _back(case)
    moved = case_transition(
        case=case,
        to_status=form.cleaned_data["to_status"],
        actor=request.user,
        note=form.cleaned_data["note"],
    )
    if moved:
        messages.success(request, f"Case moved to {case.get_status_display()}.")
    else:
        messages.warning(request, "Someone else moved this case first; nothing changed.")
    return _back(case)


@require_POST
def case_choose_centre(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "navigation.change_case")
    form = CentreChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an active centre.")
        return _back(case)
    try:
        changed = case_centre_choose(
            case=case, centre=form.cleaned_data["centre"], actor=request.user
        )
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    else:
        if changed:
            messages.success(request, f"Centre matched: {form.cleaned_data['centre']}.")
        else:
            messages.warning(request, "Nothing changed.")
    return _back(case)


@require_POST
def case_build_summary(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, "navigation.add_oncologysummary")
    summary_build(case_id=case.pk, force=True)
    messages.success(request, "Oncology summary built.")
    if transition_allowed(from_status=case.status, to_status="summary_prepared"):
        case_transition(
            case=case, to_status="summary_prepared", actor=request.user, note="Summary prepared."
        )
    return _back(case)


@require_http_methods(["GET", "POST"])
def case_erase_confirm(request: HttpRequest, case_id: int) -> HttpResponse:
    """Erase a case's patient for good, after a page that says what goes and what stays,
    like the admin's delete confirmation. Only a POST of that page's button erases."""
    case = _case(request, case_id, ERASE_PERMISSION)
    if request.method == "POST" and request.POST.get("post") == "yes":
        reference = case.reference
        case_erase(case_id=case.pk, confirmed_by=request.user)
        messages.success(request, f"Case {reference} and everything about its patient is erased.")
        return HttpResponseRedirect(reverse("admin:navigation_case_changelist"))
    audit(request, action=AuditEvent.Action.VIEW_RECORDS, case=case, target="erasure page")
    patient = case.patient
    context = {
        **admin.site.each_context(request),
        "case": case,
        "patient": patient,
        "erasure_request": case_erasure_requested(case),
        "counts": {
            "documents": patient.documents.count(),
            "history entries": case.events.count(),
            "internal notes": case.notes.count(),
            "records requests": case.records_requests.count(),
        },
        "title": f"Erase case {case.reference}?",
        "opts": Case._meta,
    }
    return _private(
        TemplateResponse(request, "admin/navigation/case/erase_confirmation.html", context)
    )
