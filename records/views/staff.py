"""The audited download of a patient's document, for staff."""

import uuid

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cancerfax.roles import staff_member
from records.models import Document
from records.responses import document_download_response, document_unavailable_response
from records.services.documents import DocumentUnavailable


@never_cache
@require_GET
def document_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """Staff download (mounted inside the two-factor admin): permission, then audit."""
    if not (request.user.is_active and request.user.is_staff) or not request.user.has_perm(
        "records.view_document"
    ):
        raise PermissionDenied
    document = get_object_or_404(Document.objects.select_related("patient"), public_id=public_id)
    actor = staff_member(request)
    try:
        return document_download_response(
            document=document,
            request=request,
            actor=actor,
            actor_label=actor.get_username(),
        )
    except DocumentUnavailable as unavailable:
        return document_unavailable_response(unavailable)
