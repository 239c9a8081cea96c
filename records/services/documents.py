"""Storing patients' files, and the one way they leave private storage.

Others call these: the drafts (`services.drafts`), the portal (`document_add_to_patient`),
the downloads (`document_release`).
"""

import hashlib
import logging
import tempfile
import uuid
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from cancerfax.tasking import enqueue
from records.filenames import display_name, stored_name
from records.models import AuditEvent, Document, DocumentCategory, DocumentQuerySet, Patient
from records.services.alerts import coordinators_alert
from records.services.audit import audit_record
from records.storage import (
    DocumentKeyError,
    StoredFileCorrupt,
    document_file_open,
    document_file_save,
)
from records.uploads import (
    StreamedUpload,
    file_too_large_message,
    submission_too_large_message,
    too_many_files_message,
)
from records.validation import DAMAGED, FileRefused, inspect_file

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


class DocumentUnavailable(Exception):
    """The document cannot be downloaded (not clean yet, quarantined, or its bytes changed)."""

    def __init__(self, reason: str, *, changed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.changed = changed


# --- storing one file --------------------------------------------------------------------


def _as_streamed(upload: UploadedFile) -> StreamedUpload:
    """Files built by tests or other handlers go through the same hashed temporary copy."""
    if isinstance(upload, StreamedUpload):
        return upload
    copy = StreamedUpload(upload.name, upload.content_type or "", 0, None)
    hasher = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK):
        size += len(chunk)
        if size > settings.UPLOAD_MAX_FILE_BYTES:
            copy.refused = file_too_large_message()
            copy.truncate(0)
            break
        copy.write(chunk)
        hasher.update(chunk)
    copy.size = 0 if copy.refused else size
    copy.sha256 = "" if copy.refused else hasher.hexdigest()
    copy.seek(0)
    return copy


def document_store(
    *,
    upload: UploadedFile,
    category: str,
    owner: dict[str, Any],
    already: DocumentQuerySet,
    budget_files: int,
    budget_bytes: int,
) -> Document:
    """Check, store and register one upload; FileRefused leaves nothing behind.

    The same bytes sent again to the same owner (`already`: their documents) are not
    stored twice: the document they already have comes back with `duplicate` set.
    """
    streamed = _as_streamed(upload)
    try:
        if streamed.refused:
            raise FileRefused(streamed.refused)
        if category not in DocumentCategory.values:
            raise FileRefused(_("Please choose what kind of document this is."))
        given = display_name(upload.name)
        try:
            inspection = inspect_file(streamed.inspectable(), category, name=given)
        except FileRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a parser crash is a refusal, not a 500
            logger.warning("file inspection failed: %s", exc.__class__.__name__)
            raise FileRefused(DAMAGED) from None
        existing = already.filter(sha256=streamed.sha256).first()
        if existing is not None:
            existing.duplicate = True
            return existing
        if budget_files < 1:
            raise FileRefused(too_many_files_message())
        if streamed.size > budget_bytes:
            raise FileRefused(submission_too_large_message())
        storage = storages["private"]
        storage_name, wrapped = document_file_save(
            name=f"documents/{uuid.uuid4().hex}", upload=streamed
        )
        try:
            document = Document.objects.create(
                **owner,
                category=category,
                original_name=stored_name(given, inspection.kind),
                storage_name=storage_name,
                size=streamed.size,
                sha256=streamed.sha256,
                content_type=inspection.content_type,
                key_id=wrapped.key_id,
                wrapped_key=wrapped.wrapped,
            )
        except BaseException:
            storage.delete(storage_name)
            raise
    finally:
        streamed.close()
    transaction.on_commit(lambda: _enqueue_scan(document.pk))
    return document


def _enqueue_scan(document_id: int) -> None:
    # Fails fast when the broker is down (no wait inside the patient's request): the
    # document stays pending and the periodic rescan queues it again.
    enqueue("records.scan_document", document_id, what=f"scan of document {document_id}")


@transaction.atomic
def document_add_to_patient(
    *,
    patient: Patient,
    category: str,
    upload: UploadedFile,
    uploaded_by_staff: User | None = None,
) -> Document:
    """One more file for an existing patient (portal or coordinator upload)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    count, size = Document.objects.filter(patient=patient).totals()
    return document_store(
        upload=upload,
        category=category,
        owner={"patient": patient, "uploaded_by_staff": uploaded_by_staff},
        already=Document.objects.filter(patient=patient),
        # Per-file limits always hold; the count keeps a runaway portal from filling disk.
        budget_files=settings.UPLOAD_MAX_FILES * 5 - count,
        budget_bytes=settings.UPLOAD_MAX_SUBMISSION_BYTES * 5 - size,
    )


# --- download ----------------------------------------------------------------------------


def _verified_copy(document: Document) -> tuple[BinaryIO | None, str]:
    """A private temporary copy of the stored bytes and their SHA-256, read once.

    Serving the copy, not the stored file, means the bytes sent are exactly the bytes
    checked, even if storage changes in between (and S3 is read once, not twice).
    """
    # Closed by the response once sent, or below on any failure.
    copy = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    hasher = hashlib.sha256()
    try:
        with document_file_open(document) as fh:
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
                copy.write(chunk)
    except FileNotFoundError:
        copy.close()
        return None, ""
    except (StoredFileCorrupt, DocumentKeyError) as exc:
        # Changed, cut off or not decryptable: nothing of it is served.
        logger.error("document %s does not decrypt: %s", document.public_id, exc)
        copy.close()
        return None, ""
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy, hasher.hexdigest()


def document_release(
    *,
    document: Document,
    actor_label: str,
    actor: User | None = None,
    ip_address: str | None = None,
) -> BinaryIO:
    """The document's bytes, open, after checking it is clean and unchanged; audited.

    The caller sends them (`records.responses.document_download_response`) and closes
    them. Raises DocumentUnavailable instead when it must not leave storage.
    """
    if not document.is_downloadable or document.patient_id is None:
        raise DocumentUnavailable(_("This document is not available for download."))
    copy, actual = _verified_copy(document)
    if copy is None or actual != document.sha256:
        if copy is not None:
            copy.close()
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action=AuditEvent.Action.DOWNLOAD_REFUSED,
            patient=document.patient,
            target=f"document:{document.public_id}",
            ip_address=ip_address,
        )
        coordinators_alert(
            document=document,
            subject="Stored document changed",
            problem=(
                "A stored document no longer matches the fingerprint taken when it was "
                "uploaded, so it was not downloaded. Please check the storage."
            ),
        )
        raise DocumentUnavailable(
            _("This document has changed since it was uploaded and cannot be downloaded."),
            changed=True,
        )
    try:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action=AuditEvent.Action.DOWNLOAD_DOCUMENT,
            patient=document.patient,
            target=f"document:{document.public_id}",
            ip_address=ip_address,
        )
    except BaseException:
        copy.close()  # no audit row, no download
        raise
    return copy
