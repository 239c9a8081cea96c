"""The intake page's upload endpoints: one file into this browser's draft, or out of it."""

import uuid

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cancerfax.security import rate_limited
from records import tus
from records.draft_session import draft_for_request
from records.filenames import display_name
from records.forms import DocumentUploadForm
from records.models import Document
from records.services.drafts import draft_document_delete, draft_file_add
from records.services.resumable import UploadOwner
from records.uploads import client_bytes_spent, counts_client_bytes
from records.validation import FileRefused


def document_json(document: Document) -> dict:
    return {
        "id": str(document.public_id),
        "name": document.original_name,
        "size": document.size,
        "size_display": filesizeformat(document.size),
        "category": document.category,
        "category_display": str(document.get_category_display()),
        "status": document.status,
        "status_display": str(document.get_status_display()),
        "delete_url": reverse("records:upload_delete", args=[document.public_id]),
    }


@never_cache
@require_POST
def upload_create(request: HttpRequest) -> JsonResponse:
    """One file into this browser's draft; JSON with the stored file or the reason not."""
    if rate_limited(request, scope="uploads", limit=settings.UPLOAD_RATE_LIMIT, period=60):
        return _too_many_files()
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        if "file" in form.errors:
            return JsonResponse({"error": _("Please choose a file to upload.")}, status=400)
        return JsonResponse(
            {"error": _("Please choose what kind of document this is.")}, status=400
        )
    upload = form.cleaned_data["file"]
    draft = draft_for_request(request, create=True)
    try:
        document = draft_file_add(
            draft=draft, category=form.cleaned_data["category"], upload=upload
        )
    except FileRefused as refused:
        return JsonResponse(
            {"error": refused.reason, "name": display_name(upload.name)}, status=400
        )
    if document.duplicate:
        # The same bytes are already in this submission: recognised, not stored again.
        body = document_json(document)
        body["duplicate"] = True
        body["notice"] = _("You already added this file; it is kept once.")
        return JsonResponse(body, status=200)
    return JsonResponse(document_json(document), status=201)


def _too_many_files() -> JsonResponse:
    return JsonResponse(
        {"error": _("Too many files in a short time. Please wait a minute and try again.")},
        status=429,
    )


@never_cache
@require_http_methods(["OPTIONS", "POST"])
def resumable_create(request: HttpRequest) -> HttpResponse:
    """A resumable upload into this browser's draft (the tus protocol, records/tus.py)."""
    if request.method == "OPTIONS":
        return tus.options_response()
    if refused := tus.version_refused(request):
        return refused
    if rate_limited(request, scope="uploads", limit=settings.UPLOAD_RATE_LIMIT, period=60):
        return _too_many_files()
    draft = draft_for_request(request, create=True)
    return tus.create(
        request,
        owner=UploadOwner(draft=draft),
        location=lambda upload: reverse("records:resumable_upload", args=[upload.public_id]),
        spend=_byte_budget(request),
    )


@never_cache
@require_http_methods(["HEAD", "PATCH", "DELETE", "GET"])
def resumable_upload(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One resumable upload of this browser's draft: its offset, its next piece, its end."""
    draft = draft_for_request(request, create=False)
    return tus.serve(
        request,
        owner=UploadOwner(draft=draft) if draft is not None else None,
        public_id=public_id,
        result=document_json,
        spend=_byte_budget(request),
    )


def _byte_budget(request: HttpRequest):
    """Counts a piece's bytes against this client's hourly budget, as a multipart upload's."""
    if not counts_client_bytes(request):
        return None
    return lambda size: client_bytes_spent(request, adding=size)


@never_cache
@require_POST
def upload_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    draft = draft_for_request(request, create=False)
    if draft is None or not draft_document_delete(draft=draft, public_id=public_id):
        if _wants_json(request):
            return JsonResponse({"error": _("That file is not in your submission.")}, status=404)
        return HttpResponse(status=404)
    if _wants_json(request):
        return JsonResponse({"deleted": str(public_id)})
    return HttpResponseRedirect("/submit/")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")
