"""The HTTP answers of every view that hands out a patient's document (staff and portal)."""

from django.contrib.auth.models import User
from django.http import FileResponse, HttpRequest, HttpResponse

from cancerfax.security import client_ip
from records.models import Document
from records.services.documents import DocumentUnavailable, document_release


def document_download_response(
    *,
    document: Document,
    request: HttpRequest,
    actor_label: str,
    actor: User | None = None,
) -> FileResponse:
    """The file as an attachment, after checking it is clean and unchanged; audited.

    Raises DocumentUnavailable instead when it must not leave storage.
    """
    copy = document_release(
        document=document, actor=actor, actor_label=actor_label, ip_address=client_ip(request)
    )
    response = FileResponse(
        copy,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def document_unavailable_response(refusal: DocumentUnavailable) -> HttpResponse:
    """The refusal as staff see it: the reason in plain text, never cached. 409 when the
    stored bytes changed (a conflict to investigate), else 404."""
    response = HttpResponse(
        refusal.reason,
        status=409 if refusal.changed else 404,
        content_type="text/plain; charset=utf-8",
    )
    response["Cache-Control"] = "no-store, private"
    return response
