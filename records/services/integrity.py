"""Periodic re-check of stored files against the SHA-256 taken at upload.

Downloads check the hash every time (`records.services.documents.document_release`);
this sweep finds a changed or missing file before anyone asks for it, and tells the
coordinators.
"""

import hashlib
import logging

from records.models import Document, ScanStatus
from records.services.alerts import coordinators_alert
from records.storage import DocumentKeyError, StoredFileCorrupt, document_file_open

logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024


def _sha256_of(document: Document) -> str:
    """SHA-256 of the document's plaintext, decrypted as it streams."""
    hasher = hashlib.sha256()
    with document_file_open(document) as fh:
        while chunk := fh.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def stored_files_verify() -> list[int]:
    """Hash every clean stored document; alert on each that changed or vanished.

    Returns the ids of the documents that failed. Infected files were deleted on purpose
    and pending ones are still being scanned, so only clean documents are checked.
    """
    failed = []
    for document in Document.objects.filter(status=ScanStatus.CLEAN).iterator():
        try:
            actual = _sha256_of(document)
        except (FileNotFoundError, StoredFileCorrupt, DocumentKeyError):
            actual = ""
        if actual == document.sha256:
            continue
        failed.append(document.pk)
        logger.error("stored document %s does not match its SHA-256", document.pk)
        coordinators_alert(
            document=document,
            subject="Stored document changed",
            problem=(
                "The daily check found a stored document that no longer matches the "
                "fingerprint taken when it was uploaded (or is missing). It will not be "
                "offered for download. Please check the storage."
            ),
        )
    return failed
