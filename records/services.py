"""Writes to patients' records, and the one way their files leave private storage.

Others call these: the intake view (`patient_submit`, `draft_*`), the portal
(`document_add_to_patient`), the coordinator admin (`document_download_response`).
"""

import hashlib
import logging
import secrets
import tempfile
import uuid
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import audit_record
from records.consent import CONSENT_TEXTS, consent_text_sha256
from records.filenames import display_name, stored_name
from records.models import (
    AuditEvent,
    ClinicalProfile,
    Consent,
    Document,
    DocumentCategory,
    DocumentQuerySet,
    Patient,
    UploadDraft,
)
from records.quotas import drafts_full, drafts_full_message
from records.scanning import coordinators_alert
from records.storage import (
    DocumentKeyError,
    StoredFileCorrupt,
    document_file_open,
    document_file_save,
)
from records.uploads import (
    DRAFT_SESSION_KEY,
    StreamedUpload,
    file_too_large_message,
    submission_too_large_message,
    too_many_files_message,
)
from records.validation import DAMAGED, FileRefused, inspect_file

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
# A submission not sent within this time is removed with its files and answers; a
# "continue later" link lasts as long.
DRAFT_LIFETIME = timedelta(days=14)
_draft_signer = signing.TimestampSigner(salt="records.draft.resume-link")
CONTACT_FIELDS = (
    "full_name",
    "date_of_birth",
    "contact_name",
    "relationship",
    "email",
    "phone",
    "country",
    "preferred_language",
)
PROFILE_FIELDS = tuple(
    f.name
    for f in ClinicalProfile._meta.concrete_fields
    if f.name not in {"id", "patient", "updated_at"}
)


class DocumentUnavailable(Exception):
    """The document cannot be downloaded (not clean yet, quarantined, or its bytes changed)."""

    def __init__(self, reason: str, *, changed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.changed = changed

    def as_response(self) -> HttpResponse:
        """The refusal as staff see it: the reason in plain text, never cached. 409 when the
        stored bytes changed (a conflict to investigate), else 404."""
        response = HttpResponse(
            self.reason,
            status=409 if self.changed else 404,
            content_type="text/plain; charset=utf-8",
        )
        response["Cache-Control"] = "no-store, private"
        return response


# --- names ------------------------------------------------------------------------------

# The name the file had on the patient's computer, made harmless to display (the views show
# it beside a refusal, before the content is known).
clean_original_name = display_name


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


def _store(
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
            inspection = inspect_file(streamed.temporary_file_path(), category, name=given)
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
    from cancerfax.tasking import enqueue

    # Fails fast when the broker is down (no wait inside the patient's request): the
    # document stays pending and the periodic rescan queues it again.
    enqueue("records.scan_document", document_id, what=f"scan of document {document_id}")


# --- the draft of a submission -----------------------------------------------------------


def draft_for_request(request: HttpRequest, *, create: bool) -> UploadDraft | None:
    """This browser session's draft (created on first need when `create`)."""
    key = request.session.get(DRAFT_SESSION_KEY)
    draft = UploadDraft.objects.filter(key=key).first() if key else None
    session_key = request.session.session_key
    if draft is None and session_key:
        draft = UploadDraft.objects.filter(session_key=session_key).first()
    if draft is None and create:
        if session_key is None:
            request.session.save()
            session_key = request.session.session_key
        # Parallel first uploads race here; the unique session key makes them agree.
        draft, _created = UploadDraft.objects.get_or_create(session_key=session_key)
    elif draft is not None and session_key and draft.session_key != session_key:
        # The session key changed (a sign-in cycles it); the draft follows its browser.
        UploadDraft.objects.filter(pk=draft.pk).update(session_key=session_key)
    if draft is not None and key != str(draft.key):
        request.session[DRAFT_SESSION_KEY] = str(draft.key)
    return draft


def draft_attach(request: HttpRequest, draft: UploadDraft) -> None:
    """Make `draft` this browser's draft (a "continue later" link opened here). Files this
    browser had already uploaded into a draft of its own move into it."""
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key
    with transaction.atomic():
        own = UploadDraft.objects.filter(session_key=session_key).exclude(pk=draft.pk).first()
        if own is not None:
            Document.objects.in_draft(own).update(draft=draft)
            own.delete()
        UploadDraft.objects.filter(pk=draft.pk).update(session_key=session_key)
    request.session[DRAFT_SESSION_KEY] = str(draft.key)


def draft_detach(request: HttpRequest, draft: UploadDraft) -> None:
    """This browser lets go of the draft ("continue later"): only the emailed link reopens
    it, so the next person at a shared computer sees an empty form."""
    UploadDraft.objects.filter(pk=draft.pk).update(session_key=f"detached:{uuid.uuid4().hex}")
    request.session.pop(DRAFT_SESSION_KEY, None)


def draft_answers_save(*, draft: UploadDraft, answers: dict[str, list[str]]) -> None:
    """Keep the answers typed so far with the draft (the latest replace the earlier)."""
    UploadDraft.objects.filter(pk=draft.pk).update(answers=answers)
    draft.answers = answers


def _draft_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def draft_resume_link_issue(*, draft: UploadDraft) -> str:
    """A new signed token for a "continue later" link; any earlier link stops working."""
    raw = secrets.token_urlsafe(32)
    UploadDraft.objects.filter(pk=draft.pk).update(
        resume_token_hash=_draft_token_hash(raw), kept_for_later=True
    )
    return _draft_signer.sign(raw)


def _draft_resume_row(token: str, now: datetime) -> UploadDraft | None:
    try:
        raw = _draft_signer.unsign(token, max_age=DRAFT_LIFETIME)
    except signing.BadSignature:  # tampered, truncated or expired (SignatureExpired)
        return None
    return UploadDraft.objects.filter(
        resume_token_hash=_draft_token_hash(raw), created_at__gt=now - DRAFT_LIFETIME
    ).first()


def draft_resume_link_valid(*, token: str, now: datetime | None = None) -> bool:
    return _draft_resume_row(token, now or timezone.now()) is not None


def draft_resume_link_redeem(*, token: str, now: datetime | None = None) -> UploadDraft | None:
    """Spend a "continue later" link; its draft, or None when it is bad, expired or used.

    Like a portal link it works once (a conditional UPDATE spends it, so two clicks racing
    get one draft); the patient can ask for another from the form. It lasts as long as the
    draft does.
    """
    now = now or timezone.now()
    row = _draft_resume_row(token, now)
    if row is None:
        return None
    spent = UploadDraft.objects.filter(pk=row.pk, resume_token_hash=row.resume_token_hash).update(
        resume_token_hash=""
    )
    return row if spent == 1 else None


def drafts_expire(*, now: datetime | None = None) -> int:
    """Remove drafts nobody submitted, with their stored files; return how many.

    A draft is kept `UPLOAD_DRAFT_MAX_AGE_HOURS` (a day): long enough to fill in the form,
    short enough that files nobody submits do not pile up in private storage. A draft its
    patient chose to continue later (a link was mailed) is kept DRAFT_LIFETIME, as long as
    the link.
    """
    now = now or timezone.now()
    short = now - timedelta(hours=settings.UPLOAD_DRAFT_MAX_AGE_HOURS)
    expired = UploadDraft.objects.filter(
        Q(created_at__lt=now - DRAFT_LIFETIME) | Q(created_at__lt=short, kept_for_later=False)
    )
    count = 0
    for draft in expired.iterator():
        with transaction.atomic():
            names = list(Document.objects.in_draft(draft).values_list("storage_name", flat=True))
            draft.delete()
            transaction.on_commit(lambda names=names: _delete_stored(names))
        count += 1
    return count


def _delete_stored(names: list[str]) -> None:
    storage = storages["private"]
    for name in names:
        storage.delete(name)


def draft_file_add(*, draft: UploadDraft, category: str, upload: UploadedFile) -> Document:
    """Add one file to a draft, within the submission's limits and the drafts' quota."""
    if drafts_full(adding=upload.size or 0):
        upload.close()
        raise FileRefused(drafts_full_message())
    return _draft_file_add(draft=draft, category=category, upload=upload)


@transaction.atomic
def _draft_file_add(*, draft: UploadDraft, category: str, upload: UploadedFile) -> Document:
    UploadDraft.objects.select_for_update().filter(pk=draft.pk).first()
    count, size = Document.objects.in_draft(draft).totals()
    return _store(
        upload=upload,
        category=category,
        owner={"draft": draft},
        already=Document.objects.in_draft(draft),
        budget_files=settings.UPLOAD_MAX_FILES - count,
        budget_bytes=settings.UPLOAD_MAX_SUBMISSION_BYTES - size,
    )


def draft_add_files(
    *, request: HttpRequest, draft: UploadDraft | None = None
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Store the files of a plain multipart POST (no JavaScript): one `files_<category>`
    input per category. Returns (stored documents, [(file name, reason refused)])."""
    stored: list[Document] = []
    refused: list[tuple[str, str]] = []
    for category in DocumentCategory.values:
        for upload in request.FILES.getlist(f"files_{category}"):
            if draft is None:
                draft = draft_for_request(request, create=True)
            try:
                stored.append(draft_file_add(draft=draft, category=category, upload=upload))
            except FileRefused as exc:
                refused.append((clean_original_name(upload.name), exc.reason))
    return stored, refused


@transaction.atomic
def draft_document_delete(*, draft: UploadDraft, public_id: uuid.UUID) -> bool:
    """Remove one file from a draft (nothing else can be reached this way)."""
    document = Document.objects.in_draft(draft).filter(public_id=public_id).first()
    if document is None:
        return False
    name = document.storage_name
    document.delete()
    transaction.on_commit(lambda: storages["private"].delete(name))
    return True


def draft_documents(draft: UploadDraft | None) -> list[Document]:
    return list(Document.objects.in_draft(draft)) if draft is not None else []


# --- submission --------------------------------------------------------------------------


@transaction.atomic
def patient_submit(
    *,
    contact: dict[str, Any],
    profile: dict[str, Any],
    consent_version: str,
    draft: UploadDraft | None,
) -> Patient:
    """Create the patient, their clinical profile and consent, and take over the draft's
    files, all or nothing."""
    if consent_version not in CONSENT_TEXTS:
        raise ValueError(f"unknown consent version {consent_version!r}")
    patient = Patient.objects.create(**{k: contact[k] for k in CONTACT_FIELDS if k in contact})
    ClinicalProfile.objects.create(
        patient=patient, **{k: profile[k] for k in PROFILE_FIELDS if k in profile}
    )
    Consent.objects.create(
        patient=patient,
        text_version=consent_version,
        text_sha256=consent_text_sha256(consent_version),
        given_at=timezone.now(),
    )
    if draft is not None:
        Document.objects.filter(draft=draft).update(patient=patient, draft=None)
        draft.delete()
    return patient


@transaction.atomic
def document_add_to_patient(
    *,
    patient: Patient,
    category: str,
    upload: UploadedFile,
    uploaded_by_staff: AbstractBaseUser | None = None,
) -> Document:
    """One more file for an existing patient (portal or coordinator upload)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    count, size = Document.objects.filter(patient=patient).totals()
    return _store(
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


def document_download_response(
    *,
    document: Document,
    request: HttpRequest,
    actor_label: str,
    actor: AbstractBaseUser | None = None,
) -> FileResponse:
    """The file as an attachment, after checking it is clean and unchanged; audited.

    Raises DocumentUnavailable instead when it must not leave storage.
    """
    if not document.is_downloadable or document.patient_id is None:
        raise DocumentUnavailable(_("This document is not available for download."))
    copy, actual = _verified_copy(document)
    if actual != document.sha256:
        if copy is not None:
            copy.close()
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action=AuditEvent.Action.DOWNLOAD_REFUSED,
            patient=document.patient,
            target=f"document:{document.public_id}",
            request=request,
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
            request=request,
        )
    except BaseException:
        copy.close()  # no audit row, no download
        raise
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
