"""Uploads streamed to disk, hashed and limited while they stream.

`StreamingUploadHandler` (settings.FILE_UPLOAD_HANDLERS) writes each file chunk by chunk to
a temporary file, computes its SHA-256 on the way and stops writing the moment a limit is
passed: per file, and per submission (what this browser's draft already holds counts). A
stopped file still reaches the view as a `StreamedUpload` whose `refused` says why, so the
person sees a clear reason instead of a broken connection.
"""

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cancerfax.security import rate_limited
from records.models import Document, UploadDraft
from records.validation import Inspectable

logger = logging.getLogger(__name__)
DRAFT_SESSION_KEY = "records_upload_draft"
# Set on the request when it carried more files than Django parses (see new_file).
FILES_OVERFLOW_ATTR = "records_files_overflow"
# Each client address may send this many bytes an hour (UPLOAD_CLIENT_BYTES_PER_HOUR),
# counted by the site's one rate limiter while each file streams.
CLIENT_BYTES_SCOPE = "upload-bytes"
CLIENT_BYTES_PERIOD = 3600


def files_overflowed(request: HttpRequest) -> bool:
    """True when the request carried more files than Django takes in one request; the
    files and fields after the last one taken were not read."""
    return bool(getattr(request, FILES_OVERFLOW_ATTR, False))


def files_overflow_message() -> str:
    return _(
        "You chose more files than we can take in one go, so the last ones were not "
        "received. Please send at most %(n)d files at a time."
    ) % {"n": settings.UPLOAD_MAX_FILES}


@dataclass
class UploadBudget:
    """What one request may still add: files and bytes."""

    files_left: int
    bytes_left: int


def upload_budget(request: HttpRequest | None) -> UploadBudget:
    """The submission limits minus what this browser's draft already holds."""
    files_left = settings.UPLOAD_MAX_FILES
    bytes_left = settings.UPLOAD_MAX_SUBMISSION_BYTES
    session = getattr(request, "session", None)
    draft_key = session.get(DRAFT_SESSION_KEY) if session is not None else None
    if draft_key:
        draft = UploadDraft.objects.filter(key=draft_key).first()
        if draft is not None:
            count, size = Document.objects.in_draft(draft).totals()
            files_left -= count
            bytes_left -= size
    return UploadBudget(files_left=files_left, bytes_left=bytes_left)


def too_many_files_message() -> str:
    return _("You can send at most %(n)d files with one submission.") % {
        "n": settings.UPLOAD_MAX_FILES
    }


def file_too_large_message() -> str:
    return _("This file is larger than %(size)s, the most we accept for one file.") % {
        "size": filesizeformat(settings.UPLOAD_MAX_FILE_BYTES)
    }


def submission_too_large_message() -> str:
    return _("Together the files would pass %(size)s, the most we accept in one submission.") % {
        "size": filesizeformat(settings.UPLOAD_MAX_SUBMISSION_BYTES)
    }


def counts_client_bytes(request: HttpRequest | None) -> bool:
    """Staff uploading for a patient are not limited; everyone else is, by address."""
    if request is None:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated and user.is_staff)


def client_bytes_spent(request: HttpRequest, *, adding: int) -> bool:
    """Count `adding` bytes against this client's hourly budget; True once it is spent
    (`adding=0` only asks)."""
    return rate_limited(
        request,
        scope=CLIENT_BYTES_SCOPE,
        limit=settings.UPLOAD_CLIENT_BYTES_PER_HOUR,
        period=CLIENT_BYTES_PERIOD,
        cost=adding,
    )


def client_bytes_message() -> str:
    return _(
        "You have sent a lot of data from this connection in the last hour, so we can't "
        "take more right now. Please try again in an hour; your answers and the files "
        "already received are kept."
    )


TEMP_PREFIX = "cfx-upload-"


class StreamedUpload(TemporaryUploadedFile):
    """A temporary file with its SHA-256, or with the reason it was stopped.

    Named `cfx-upload-<pid>-…` in FILE_UPLOAD_TEMP_DIR: when a web worker dies mid-upload
    (killed, timed out) nothing of Python runs to delete it, so gunicorn's master removes
    that worker's files (gunicorn.conf.py) and `upload_temp_cleanup` removes any left
    longer than the longest upload
    (`records.services.uploads`)."""

    sha256: str = ""
    refused: str = ""
    size: int  # always known: the bytes were counted as they arrived

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed with the upload
            prefix=f"{TEMP_PREFIX}{os.getpid()}-",
            suffix=".upload",
            dir=settings.FILE_UPLOAD_TEMP_DIR,
        )
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)

    def inspectable(self) -> "str | Inspectable":
        """What the file checks read (records/validation.py): this plaintext copy."""
        return self.temporary_file_path()


def upload_temp_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


class StreamingUploadHandler(FileUploadHandler):
    """Writes to a temporary file in chunks; never holds a whole file in memory."""

    # 1 MiB instead of Django's 64 KiB: the multipart parser, the hash and the write each
    # loop in Python once per chunk, and at 64 KiB a 200 MB upload costs ~3,200 rounds of
    # that overhead (measured 0.70x `cp`+`sha256sum`; 1.05x at 1 MiB). One chunk in memory
    # at a time is still small, and a limit still stops the file within one chunk.
    chunk_size = 1024 * 1024

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.budget: UploadBudget | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.files_seen = getattr(self, "files_seen", 0) + 1
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if limit is not None and self.files_seen >= limit and self.request is not None:
            # Django refuses the whole request at the file after this one (TooManyFilesSent),
            # throwing away every typed answer with it. Stop here instead: what was read so
            # far (the answers typed before the documents) stays, and the view can say why.
            setattr(self.request, FILES_OVERFLOW_ATTR, True)
            # The parser closes `self.file` on StopUpload: that is the previous, complete
            # file, which the view still needs.
            self.__dict__.pop("file", None)
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)
        if self.budget is None:
            # Read lazily: only requests that carry files pay for the draft lookup.
            self.budget = upload_budget(self.request)
            # The request whose client's hourly byte budget counts this upload, if any.
            self.counted_request = self.request if counts_client_bytes(self.request) else None
        self.file = StreamedUpload(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
        self.hasher = hashlib.sha256()
        self.written = 0
        self.refused = ""
        if self.budget.files_left <= 0:
            self.refused = too_many_files_message()
        elif self.counted_request and client_bytes_spent(self.counted_request, adding=0):
            self.refused = client_bytes_message()
        else:
            self.budget.files_left -= 1

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.refused:
            return None
        assert self.budget is not None  # new_file read it
        size = self.written + len(raw_data)
        if size > settings.UPLOAD_MAX_FILE_BYTES:
            self._refuse(file_too_large_message())
        elif size > self.budget.bytes_left:
            self._refuse(submission_too_large_message())
        elif self.counted_request and client_bytes_spent(
            self.counted_request, adding=len(raw_data)
        ):
            # One counter increment per chunk (1 MiB): a client over its hourly budget is
            # stopped within a chunk, whatever the file's size.
            self._refuse(client_bytes_message())
        else:
            self.file.write(raw_data)
            self.hasher.update(raw_data)
            self.written = size
        # None: the chunk is consumed here, no later handler sees it.
        return None

    def _refuse(self, reason: str) -> None:
        # Give back the disk at once; the rest of this file is read and thrown away.
        self.refused = reason
        self.file.seek(0)
        self.file.truncate()
        self.written = 0

    def file_complete(self, file_size: int) -> StreamedUpload:
        self.file.seek(0)
        self.file.size = self.written
        self.file.sha256 = "" if self.refused else self.hasher.hexdigest()
        self.file.refused = self.refused
        if not self.refused:
            assert self.budget is not None  # new_file read it
            self.budget.bytes_left -= self.written
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
