"""Resumable uploads: created, continued piece by piece, and completed into a document.

The HTTP side (the tus 1.0 protocol) is records/tus.py; the bytes wait, encrypted, in a
partial file (records/partials.py). When the last byte arrives the file is checked,
deduplicated, limited and registered by the very services a multipart upload goes through
(`draft_file_add`, `document_add_to_patient`). The checks read it through a view that
decrypts the chunks they ask for (no plaintext copy on disk), and since the partial file
is already in the stored form it is moved into private storage, not encrypted again.

The SHA-256 is computed while the bytes arrive. A hash cannot be saved between requests,
so each web process keeps the running hash of the uploads it is receiving; when the next
piece reaches another process (or the same one after a restart), the hash is taken on the
completing pass instead, which reads every byte anyway.
"""

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from records.encryption import CHUNK, StoredFileCorrupt, WrappedKey, unwrap, wrap
from records.models import (
    Document,
    DocumentCategory,
    Patient,
    ResumableUpload,
    UploadDraft,
)
from records.partials import PartialBusy, PartialFile, PartialLost, PlainView
from records.services.documents import document_add_to_patient
from records.services.drafts import draft_file_add
from records.services.quotas import drafts_full, drafts_full_message
from records.uploads import (
    StreamedUpload,
    client_bytes_message,
    file_too_large_message,
    submission_too_large_message,
    too_many_files_message,
    upload_temp_dir,
)
from records.validation import DAMAGED, FileRefused

__all__ = [
    "PartialBusy",
    "PartialLost",
    "UploadOwner",
    "OffsetMismatch",
    "resumable_upload_append",
    "resumable_upload_create",
    "resumable_upload_terminate",
    "resumable_uploads_expire",
]

logger = logging.getLogger(__name__)

PARTIAL_PREFIX = "cfx-resumable-"
# Received bytes are recorded at least this often while a piece arrives, so a web worker
# killed mid-piece costs the patient at most this much again.
CHECKPOINT_BYTES = 8 * CHUNK


class OffsetMismatch(Exception):
    """The client's offset is not the one recorded (it has to ask again)."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


@dataclass(frozen=True)
class UploadOwner:
    """Whose uploads: a draft (the browser's submission) or a patient in one signed-in
    session (the portal)."""

    draft: UploadDraft | None = None
    patient: Patient | None = None
    session_key: str = ""

    @property
    def session_hash(self) -> str:
        if self.draft is not None or not self.session_key:
            return ""
        return hashlib.sha256(self.session_key.encode()).hexdigest()

    def uploads(self) -> QuerySet[ResumableUpload]:
        if self.draft is not None:
            return ResumableUpload.objects.filter(draft=self.draft)
        if self.patient is not None and self.session_key:
            return ResumableUpload.objects.filter(
                patient=self.patient, session_hash=self.session_hash
            )
        return ResumableUpload.objects.none()


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.UPLOAD_RESUMABLE_LIFETIME)


def partials_dir() -> Path:
    """UPLOAD_RESUMABLE_DIR: shared by every web node, since any of them may get a piece."""
    if settings.UPLOAD_RESUMABLE_DIR:
        return Path(settings.UPLOAD_RESUMABLE_DIR)
    return upload_temp_dir()


def partial_path(public_id: uuid.UUID) -> Path:
    return partials_dir() / f"{PARTIAL_PREFIX}{public_id.hex}"


def _partial(upload: ResumableUpload) -> PartialFile:
    key = unwrap(WrappedKey(upload.key_id, upload.wrapped_key)) if upload.wrapped_key else None
    return PartialFile(partial_path(upload.public_id), length=upload.length, data_key=key)


# --- the running hashes of this process ---------------------------------------------------

_hashes: OrderedDict[uuid.UUID, tuple[int, "hashlib._Hash"]] = OrderedDict()
_hashes_lock = threading.Lock()
_HASHES_KEPT = 64


def _hash_take(public_id: uuid.UUID, offset: int) -> "hashlib._Hash | None":
    with _hashes_lock:
        kept = _hashes.pop(public_id, None)
    if offset == 0:
        return hashlib.sha256()
    if kept is not None and kept[0] == offset:
        return kept[1]
    return None


def _hash_keep(public_id: uuid.UUID, offset: int, hasher: "hashlib._Hash") -> None:
    with _hashes_lock:
        _hashes[public_id] = (offset, hasher)
        while len(_hashes) > _HASHES_KEPT:
            _hashes.popitem(last=False)


# --- creation -------------------------------------------------------------------------


def resumable_upload_create(
    *,
    owner: UploadOwner,
    category: str,
    name: str,
    length: int,
    spend: Callable[[int], bool] | None = None,
    now: datetime | None = None,
) -> ResumableUpload:
    """A new upload of `length` bytes, refused (FileRefused) at once when the limits a
    finished file would meet already rule it out, or the sender's byte budget (`spend(0)`
    asks) is spent."""
    now = now or timezone.now()
    if spend is not None and spend(0):
        raise FileRefused(client_bytes_message())
    if category not in DocumentCategory.values:
        raise FileRefused(_("Please choose what kind of document this is."))
    if length <= 0:
        raise FileRefused(_("The file is empty."))
    if length > settings.UPLOAD_MAX_FILE_BYTES:
        raise FileRefused(file_too_large_message())
    if owner.draft is not None:
        count, size = Document.objects.in_draft(owner.draft).totals()
        files_left = settings.UPLOAD_MAX_FILES - count
        bytes_left = settings.UPLOAD_MAX_SUBMISSION_BYTES - size
        if drafts_full(adding=length):
            raise FileRefused(drafts_full_message())
        fields: dict[str, object] = {"draft": owner.draft}
    elif owner.patient is not None and owner.session_key:
        count, size = Document.objects.filter(patient=owner.patient).totals()
        files_left = settings.UPLOAD_MAX_FILES * 5 - count
        bytes_left = settings.UPLOAD_MAX_SUBMISSION_BYTES * 5 - size
        fields = {"patient": owner.patient, "session_hash": owner.session_hash}
    else:
        raise ValueError("an upload needs a draft, or a patient and a session")
    if files_left < 1:
        raise FileRefused(too_many_files_message())
    if length > bytes_left:
        raise FileRefused(submission_too_large_message())
    wrapped = WrappedKey("", "")
    data_key = None
    if settings.DOCUMENT_ENCRYPTION:
        data_key = AESGCM.generate_key(bit_length=256)
        wrapped = wrap(data_key)
    upload = ResumableUpload.objects.create(
        **fields,
        category=category,
        name=name,
        length=length,
        key_id=wrapped.key_id,
        wrapped_key=wrapped.wrapped,
        expires_at=now + _lifetime(),
    )
    try:
        PartialFile(partial_path(upload.public_id), length=length, data_key=data_key).create()
    except BaseException:
        upload.delete()
        raise
    return upload


# --- pieces -----------------------------------------------------------------------------


class Body(Protocol):
    """What a piece is read from: a request's body (or any binary stream)."""

    def read(self, size: int, /) -> bytes: ...


def resumable_upload_append(
    *,
    upload: ResumableUpload,
    offset: int,
    body: Body,
    count: int,
    spend: Callable[[int], bool] | None = None,
    now: datetime | None = None,
) -> ResumableUpload:
    """Append up to `count` bytes read from `body`, starting at `offset`; the upload as it
    stands after (completed into a document, or refused, when that was the last piece).

    Reads in chunks and keeps what arrived when the body ends early (a dropped connection).
    `spend(n)` counts n bytes against the sender's budget and says when it is spent:
    FileRefused then says why no more are taken.
    Raises OffsetMismatch, PartialBusy (another request is writing it) or PartialLost.
    """
    if offset + count > upload.length:
        raise ValueError("the piece goes past the upload's length")
    partial = _partial(upload)
    refused = ""
    with partial.locked() as lock:
        current = ResumableUpload.objects.filter(pk=upload.pk).values_list("offset", flat=True)
        recorded = current.first()
        if recorded is None:
            raise PartialLost("the upload was removed")
        if recorded != offset or recorded == upload.length:
            raise OffsetMismatch(recorded)
        hasher = _hash_take(upload.public_id, offset)
        writer = lock.writer(offset)
        left = count
        recorded_at = offset
        try:
            while left:
                try:
                    piece = body.read(min(CHUNK, left))
                except OSError:  # the connection broke mid-read
                    piece = b""
                if not piece:
                    break
                if spend is not None and spend(len(piece)):
                    refused = client_bytes_message()
                    break
                writer.write(piece)
                if hasher is not None:
                    hasher.update(piece)
                left -= len(piece)
                if writer.durable_offset - recorded_at >= CHECKPOINT_BYTES:
                    recorded_at = writer.durable_offset
                    _record_offset(upload, recorded_at, now)
        finally:
            writer.finish()
            _record_offset(upload, writer.offset, now)
            upload.offset = writer.offset
            if hasher is not None:
                _hash_keep(upload.public_id, writer.offset, hasher)
    if refused:
        raise FileRefused(refused)
    if upload.is_complete:
        return _complete(upload, partial)
    return upload


def _record_offset(upload: ResumableUpload, offset: int, now: datetime | None) -> None:
    ResumableUpload.objects.filter(pk=upload.pk).update(
        offset=offset, expires_at=(now or timezone.now()) + _lifetime()
    )


class _FinishedUpload(StreamedUpload):
    """The complete partial file as an upload for `_store`, without a plaintext copy: the
    checks read it through a decrypting view, and storage takes the sealed file itself
    (encrypted) or the file as it is (encryption off) by moving it."""

    def __init__(self, upload: ResumableUpload, partial: PartialFile, sha256: str) -> None:
        File.__init__(self, partial.path.open("rb"), upload.name)
        self.content_type = ""
        self.charset = None
        self.content_type_extra = None
        self.size = upload.length
        self.sha256 = sha256
        self._view = PlainView(partial)
        if partial.encrypted:
            self.sealed = _Sealed(partial.path.open("rb"), name=partial.path.name)
            self.wrapped = WrappedKey(upload.key_id, upload.wrapped_key)

    def temporary_file_path(self) -> str:
        return _path_of(self)

    def inspectable(self) -> PlainView:
        return self._view

    def close(self) -> None:
        sealed = getattr(self, "sealed", None)
        if sealed is not None:
            sealed.close()
        if self.file is not None:
            self.file.close()


class _Sealed(File):
    """The encrypted partial file, already in the stored form: the storage moves it."""

    def temporary_file_path(self) -> str:
        return _path_of(self)


def _path_of(opened: File) -> str:
    """Where the partial file `opened` reads from lies (storage moves it from there)."""
    if opened.file is None:
        raise ValueError("the partial file is closed")
    return opened.file.name


def _complete(upload: ResumableUpload, partial: PartialFile) -> ResumableUpload:
    try:
        hasher = _hash_take(upload.public_id, upload.length)
        if hasher is None:
            # The pieces reached several processes: one reading pass (nothing written).
            hasher = hashlib.sha256()
            try:
                with PlainView(partial).open() as plain:
                    while chunk := plain.read(CHUNK):
                        hasher.update(chunk)
            except (StoredFileCorrupt, OSError):
                logger.warning("resumable upload %s does not decrypt", upload.public_id)
                raise FileRefused(DAMAGED) from None
        finished = _FinishedUpload(upload, partial, hasher.hexdigest())
        try:
            if upload.draft is not None:
                document = draft_file_add(
                    draft=upload.draft, category=upload.category, upload=finished
                )
            elif upload.patient is not None:
                document = document_add_to_patient(
                    patient=upload.patient, category=upload.category, upload=finished
                )
            else:
                raise ValueError("an upload belongs to a draft or to a patient")
        except StoredFileCorrupt:
            logger.warning("resumable upload %s does not decrypt", upload.public_id)
            raise FileRefused(DAMAGED) from None
        finally:
            finished.close()
    except FileRefused as refusal:
        ResumableUpload.objects.filter(pk=upload.pk).update(refused=refusal.reason[:500])
        upload.refused = refusal.reason
        partial.delete()
        raise
    partial.delete()  # moved into storage already, or kept once before (a duplicate)
    ResumableUpload.objects.filter(pk=upload.pk).update(
        document=document, duplicate=document.duplicate
    )
    upload.document, upload.duplicate = document, document.duplicate
    return upload


# --- the end of an upload ---------------------------------------------------------------


def resumable_upload_terminate(*, upload: ResumableUpload) -> None:
    """The sender gave up: the partial bytes go (a finished upload's document stays; it is
    removed like any other)."""
    ResumableUpload.objects.filter(pk=upload.pk).delete()
    _partial_files_delete(upload.public_id)
    with _hashes_lock:
        _hashes.pop(upload.public_id, None)


def _partial_files_delete(public_id: uuid.UUID) -> None:
    PartialFile(partial_path(public_id), length=0, data_key=None).delete()


def resumable_uploads_expire(*, now: datetime | None = None) -> int:
    """Remove uploads not continued within UPLOAD_RESUMABLE_LIFETIME, with their partial
    files, and partial files nobody owns any more (their draft was submitted or expired);
    how many uploads went. Runs with the temporary-file cleanup, on every web node."""
    now = now or timezone.now()
    removed = 0
    expired = ResumableUpload.objects.filter(expires_at__lte=now)
    for public_id in expired.values_list("public_id", flat=True).iterator():
        with transaction.atomic():
            ResumableUpload.objects.filter(public_id=public_id, expires_at__lte=now).delete()
        _partial_files_delete(public_id)
        removed += 1
    known = {
        public_id.hex
        for public_id in ResumableUpload.objects.values_list("public_id", flat=True).iterator()
    }
    age = settings.UPLOAD_TEMP_MAX_AGE
    for path in partials_dir().glob(f"{PARTIAL_PREFIX}*"):
        key = path.name.removeprefix(PARTIAL_PREFIX).split(".", 1)[0]
        try:
            if key in known or time.time() - path.stat().st_mtime < age:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
    if removed:
        logger.info("removed %s resumable uploads not continued in time", removed)
    return removed
