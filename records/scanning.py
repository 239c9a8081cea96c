"""ClamAV over clamd's INSTREAM protocol, and the scan of one stored document.

No client library: the protocol is a few lines (a command, length-prefixed chunks, a zero
length, one reply). Anything short of a clear "OK" or "FOUND" from clamd is treated as
"could not scan", and the document stays pending: scanning fails closed.

Development without a scanner (no CLAMD_ADDRESS, not production) is the one exception:
documents are marked "not scanned (no scanner in development)" so that `make run` works end
to end; production refuses to start without CLAMD_ADDRESS (cancerfax/settings.py).
"""

import logging
import socket
import struct
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO
from urllib.parse import urlparse

from django.conf import settings
from django.core.files.storage import storages
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cancerfax.roles import coordinator_addresses
from records.models import Document, ScanStatus
from records.storage import DocumentKeyError, StoredFileCorrupt, document_file_open

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not give a verdict (down, unreachable, over a limit, not configured)."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    infected: bool
    signature: str = ""


def _connect(address: str, timeout: float) -> socket.socket:
    parsed = urlparse(address)
    if parsed.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(parsed.path)
        return sock
    if parsed.scheme == "tcp" and parsed.hostname and parsed.port:
        return socket.create_connection((parsed.hostname, parsed.port), timeout=timeout)
    raise ScannerUnavailable("CLAMD_ADDRESS must be tcp://host:port or unix:///path")


def clamd_scan(stream: BinaryIO, *, address: str | None = None) -> ScanResult:
    """Send `stream` to clamd in chunks and return its verdict."""
    address = settings.CLAMD_ADDRESS if address is None else address
    if not address:
        raise ScannerUnavailable("no CLAMD_ADDRESS configured")
    try:
        with _connect(address, settings.CLAMD_TIMEOUT) as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        raise ScannerUnavailable(f"clamd unreachable: {exc.__class__.__name__}") from None
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith(" OK"):
        return ScanResult(infected=False)
    if text.endswith(" FOUND"):
        signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
        return ScanResult(infected=True, signature=signature)
    raise ScannerUnavailable(f"clamd gave no verdict: {text[:100]!r}")


def scanner_absent_in_development() -> bool:
    """No scanner configured, and allowed to be so: development only."""
    return not settings.CLAMD_ADDRESS and not settings.PRODUCTION


def scanner_state() -> str:
    """For /readyz: "ok", "unavailable", or "absent (development)"."""
    if scanner_absent_in_development():
        return "absent (development)"
    try:
        with _connect(settings.CLAMD_ADDRESS, timeout=2) as sock:
            sock.sendall(b"zPING\0")
            reply = sock.recv(64)
    except (OSError, ScannerUnavailable):
        return "unavailable"
    return "ok" if reply.rstrip(b"\0").strip() == b"PONG" else "unavailable"


def coordinators_alert(*, document: Document, subject: str, problem: str) -> None:
    """Tell coordinators about a document problem. Only a reference and a link travel:
    no names, no clinical facts."""
    recipients = coordinator_addresses()
    if not recipients:
        logger.warning("document alert with nobody to tell: document=%s", document.public_id)
        return
    link = settings.SITE_URL + reverse("admin:records_document_change", args=[document.pk])
    body = (
        f"{problem}\n\nDocument reference: {document.public_id}\n"
        f"Open it in the admin (sign-in required): {link}\n"
    )
    send_mail(f"{subject} [{document.public_id.hex[:8]}]", body, None, recipients)


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
    from cancerfax.tasking import enqueue

    cutoff = timezone.now() - older_than
    ids = list(
        Document.objects.pending().filter(uploaded_at__lte=cutoff).values_list("pk", flat=True)
    )
    queued = 0
    for pk in ids:
        # One fast attempt each: with the broker down the next run tries again.
        queued += enqueue("records.scan_document", pk, what=f"rescan of document {pk}")
    return queued
