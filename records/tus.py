"""The tus 1.0 resumable upload protocol (https://tus.io/protocols/resumable-upload) in
Django views: the HTTP half of resumable uploads (records/services/resumable.py is the other).

Used by the intake's upload endpoint (records/views/public.py) and the portal's
(navigation/portal.py); each resolves who is asking (`UploadOwner`) and hands the request
here. The core protocol with the creation, expiration and termination extensions:

- `OPTIONS <collection>`: Tus-Version, Tus-Max-Size (the largest file), Tus-Extension.
- `POST <collection>` with `Upload-Length` and `Upload-Metadata` (`category <base64>,
  filename <base64>`): 201 and the upload's `Location`; refused with a JSON reason when the
  file could not be accepted anyway (too large, too many files, quotas).
- `HEAD <upload>`: `Upload-Offset` (what the server holds), `Upload-Length`, `Upload-Expires`.
- `PATCH <upload>` with `Upload-Offset` and `Content-Type: application/offset+octet-stream`:
  the body is read from the request as a stream, in chunks, straight into the encrypted
  partial file while it is hashed: no multipart parsing, nothing held but one chunk. A body
  cut off (a dropped connection) still counts for what arrived. 204 and the new offset; the
  last piece also checks, stores and registers the file (400 with the reason if refused).
- `DELETE <upload>`: termination.
- `GET <upload>` (ours, not tus): the finished upload as JSON, for the page to show it.

Every request but OPTIONS must carry `Tus-Resumable: 1.0.0` (412 otherwise). POST, PATCH
and DELETE go through Django's CSRF check like any form: the script sends the token header.

The largest PATCH body taken is `UPLOAD_RESUMABLE_MAX_PATCH_BYTES` (cancerfax/settings.py,
16 MiB unless set; larger pieces get 413). A front server must let request bodies of that
size through to these URLs (nginx: `client_max_body_size`) and should pass them on as they
arrive (nginx: `proxy_request_buffering off`), or a cut-off piece is lost whole instead of
being kept up to where it stopped.
"""

import base64
import binascii
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _

from records.filenames import display_name
from records.models import Document, ResumableUpload
from records.services.resumable import (
    OffsetMismatch,
    PartialBusy,
    PartialLost,
    UploadOwner,
    resumable_upload_append,
    resumable_upload_create,
    resumable_upload_terminate,
)
from records.validation import FileRefused

logger = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
CONTENT_TYPE = "application/offset+octet-stream"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _error(message: str, status: int, *, offset: int | None = None) -> HttpResponse:
    response = JsonResponse({"error": str(message)}, status=status)
    if offset is not None:
        response["Upload-Offset"] = str(offset)
    return _tus(response)


def _expires(upload: ResumableUpload) -> str:
    return http_date(upload.expires_at.timestamp())


def options_response() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Max-Size"] = str(settings.UPLOAD_MAX_FILE_BYTES)
    response["Tus-Extension"] = TUS_EXTENSIONS
    return _tus(response)


def version_refused(request: HttpRequest) -> HttpResponse | None:
    """412 unless the request speaks our version of the protocol."""
    if request.method == "OPTIONS" or request.headers.get("Tus-Resumable") == TUS_VERSION:
        return None
    response = HttpResponse(status=412)
    response["Tus-Version"] = TUS_VERSION
    return _tus(response)


def _integer(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def parse_metadata(header: str) -> dict[str, str] | None:
    """`Upload-Metadata` as a dict, or None when it is not well formed."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _sep, encoded = pair.partition(" ")
        if not key or key in metadata:
            return None
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return metadata


def create(
    request: HttpRequest,
    *,
    owner: UploadOwner,
    location: Callable[[ResumableUpload], str],
    spend: Callable[[int], bool] | None = None,
) -> HttpResponse:
    """POST <collection>: a new upload."""
    if refused := version_refused(request):
        return refused
    length = _integer(request.headers.get("Upload-Length"))
    if length is None:
        return _error(_("The upload did not say how large the file is."), 400)
    metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
    if metadata is None:
        return _error(_("The upload's description could not be read."), 400)
    name = display_name(metadata.get("filename", ""))
    try:
        upload = resumable_upload_create(
            owner=owner,
            category=metadata.get("category", ""),
            name=name,
            length=length,
            spend=spend,
        )
    except FileRefused as refusal:
        status = 413 if length > settings.UPLOAD_MAX_FILE_BYTES else 400
        return _tus(JsonResponse({"error": refusal.reason, "name": name}, status=status))
    response = HttpResponse(status=201)
    response["Location"] = location(upload)
    response["Upload-Expires"] = _expires(upload)
    response["Upload-Offset"] = "0"
    return _tus(response)


def serve(
    request: HttpRequest,
    *,
    owner: UploadOwner | None,
    public_id: uuid.UUID,
    result: Callable[[Document], dict],
    spend: Callable[[int], bool] | None = None,
    on_complete: Callable[[ResumableUpload], None] | None = None,
) -> HttpResponse:
    """HEAD, PATCH, DELETE or GET <upload>. An upload that is not `owner`'s is not found,
    exactly like one that does not exist."""
    # GET is ours, not the protocol's: the page's script asks it for the finished file.
    if request.method != "GET" and (refused := version_refused(request)):
        return refused
    upload = None
    if owner is not None:
        upload = (
            owner.uploads()
            .select_related("document")
            .filter(public_id=public_id, expires_at__gt=timezone.now())
            .first()
        )
    if upload is None:
        return _error(_("This upload is not known here (any more)."), 404)
    if request.method == "HEAD":
        response = HttpResponse(status=200)
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        response["Upload-Expires"] = _expires(upload)
        return _tus(response)
    if request.method == "DELETE":
        resumable_upload_terminate(upload=upload)
        return _tus(HttpResponse(status=204))
    if request.method == "GET":
        return _tus(JsonResponse(_result_json(upload, result)))
    return _patch(request, upload, spend=spend, on_complete=on_complete)


def _result_json(upload: ResumableUpload, result: Callable[[Document], dict]) -> dict:
    body: dict[str, object] = {
        "offset": upload.offset,
        "length": upload.length,
        "complete": upload.is_complete,
        "document": result(upload.document) if upload.document is not None else None,
        "duplicate": upload.duplicate,
    }
    if upload.refused:
        body["error"] = upload.refused
        body["name"] = upload.name
    if upload.duplicate:
        body["notice"] = _("You already added this file; it is kept once.")
    return body


def _patch(
    request: HttpRequest,
    upload: ResumableUpload,
    *,
    spend: Callable[[int], bool] | None,
    on_complete: Callable[[ResumableUpload], None] | None,
) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type != CONTENT_TYPE:
        return _error(_("An upload piece must be sent as %s.") % CONTENT_TYPE, 415)
    offset = _integer(request.headers.get("Upload-Offset"))
    count = _integer(request.META.get("CONTENT_LENGTH") or None)
    if offset is None:
        return _error(_("The piece did not say where it starts."), 400)
    if count is None:
        return _error(_("The piece did not say how large it is."), 411)
    if count > settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES or offset + count > upload.length:
        return _error(_("This piece is too large."), 413)
    try:
        upload = resumable_upload_append(
            upload=upload, offset=offset, body=request, count=count, spend=spend
        )
    except OffsetMismatch as mismatch:
        return _error(
            _("The upload is further along than this piece; ask where it stands."),
            409,
            offset=mismatch.offset,
        )
    except PartialBusy:
        return _error(_("This upload is still receiving an earlier piece."), 423)
    except PartialLost:
        logger.warning("resumable upload %s lost its partial file", upload.public_id)
        resumable_upload_terminate(upload=upload)
        return _error(_("This upload was lost. Please choose the file again."), 410)
    except FileRefused as refusal:
        # The file's checks, or the sender's byte budget: refused like a form's upload,
        # nothing of it kept.
        if not upload.is_complete:
            resumable_upload_terminate(upload=upload)
        return _tus(JsonResponse({"error": refusal.reason, "name": upload.name}, status=400))
    if upload.is_complete and on_complete is not None:
        on_complete(upload)
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Expires"] = _expires(upload)
    return _tus(response)
