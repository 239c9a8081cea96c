"""The scan of one stored document, and the periodic retry of those still pending.

Anything short of a verdict from clamd (`records.clamd`) leaves the document pending, with
the reason shown in the admin: scanning fails closed. Development without a scanner (no
CLAMD_ADDRESS, not production) marks documents "not scanned (no scanner in development)" so
that `make run` works end to end.
"""

import logging
from datetime import timedelta

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from cancerfax.tasking import enqueue
from records.clamd import ScannerUnavailable, clamd_scan, scanner_absent_in_development
from records.models import Document, ScanStatus
from records.services.alerts import coordinators_alert
from records.storage import DocumentKeyError, StoredFileCorrupt, document_file_open

logger = logging.getLogger(__name__)


def document_scan(*, document_id: int) -> str:
    """Scan one stored document once; return its status afterwards.

    Pending → clean or infected by a conditional UPDATE, so a retried task does nothing.
    Infected bytes are deleted at once (the row keeps the record) and coordinators told.
    """
    document = Document.objects.filter(pk=document_id).first()
    if document is None or document.status != ScanStatus.PENDING:
        return document.status if document else ""
    if scanner_absent_in_development():
        Document.objects.filter(pk=document.pk, status=ScanStatus.PENDING).update(
            status=ScanStatus.UNSCANNED, scan_detail="", scanned_at=timezone.now()
        )
        return ScanStatus.UNSCANNED
    try:
        # The scanner sees the plaintext, decrypted as it streams.
        with document_file_open(document) as stream:
            result = clamd_scan(stream)
    except ScannerUnavailable as exc:
        logger.warning("document %s stays pending: %s", document.public_id, exc)
        _note_pending(document, f"Not scanned yet: {exc}")
        return ScanStatus.PENDING
    except FileNotFoundError:
        logger.error("document %s has no stored bytes; stays pending", document.public_id)
        _note_pending(document, "Not scanned: the stored file is missing")
        return ScanStatus.PENDING
    except (StoredFileCorrupt, DocumentKeyError) as exc:
        logger.error("document %s does not decrypt; stays pending: %s", document.public_id, exc)
        _note_pending(document, "Not scanned: the stored file does not decrypt")
        return ScanStatus.PENDING
    now = timezone.now()
    if not result.infected:
        Document.objects.filter(pk=document.pk, status=ScanStatus.PENDING).update(
            status=ScanStatus.CLEAN, scan_detail="", scanned_at=now
        )
        return Document.objects.get(pk=document.pk).status
    with transaction.atomic():
        moved = Document.objects.filter(pk=document.pk, status=ScanStatus.PENDING).update(
            status=ScanStatus.INFECTED, scan_detail=result.signature[:200], scanned_at=now
        )
        if moved:
            transaction.on_commit(lambda: _quarantine(document))
    return ScanStatus.INFECTED


def _note_pending(document: Document, detail: str) -> None:
    # Shown in the admin, so a file that stays pending (clamd down, or over clamd's
    # StreamMaxLength) says why instead of looking forgotten.
    Document.objects.filter(pk=document.pk, status=ScanStatus.PENDING).update(
        scan_detail=detail[:200]
    )


def _quarantine(document: Document) -> None:
    # Quarantine is deletion: the bytes are never needed again, and nothing that does not
    # exist can be downloaded by mistake. The row keeps size, hash and the signature.
    storages["private"].delete(document.storage_name)
    logger.warning("document %s infected: bytes deleted", document.public_id)
    coordinators_alert(
        document=document,
        subject="Infected file quarantined",
        problem=(
            "The virus scanner found malware in an uploaded document. Its bytes were deleted "
            "and it can never be downloaded. You may want to ask the patient for a clean copy."
        ),
    )


def documents_rescan_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue another scan for documents still pending (clamd was down); return how many."""
    cutoff = timezone.now() - older_than
    ids = list(
        Document.objects.pending().filter(uploaded_at__lte=cutoff).values_list("pk", flat=True)
    )
    queued = 0
    for pk in ids:
        # One fast attempt each: with the broker down the next run tries again.
        queued += enqueue("records.scan_document", pk, what=f"rescan of document {pk}")
    return queued
