"""The draft of a submission: files and answers kept until the patient sends the form.

A draft belongs to a browser session (`records.draft_session`) or, once the patient chose
"continue later", to the emailed link that reopens it.
"""

import functools
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from records.models import Document, UploadDraft
from records.services.documents import document_store
from records.services.quotas import drafts_full, drafts_full_message
from records.validation import FileRefused

# A submission not sent within this time is removed with its files and answers; a
# "continue later" link lasts as long.
DRAFT_LIFETIME = timedelta(days=14)
_draft_signer = signing.TimestampSigner(salt="records.draft.resume-link")


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
            transaction.on_commit(functools.partial(_delete_stored, names))
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
    return document_store(
        upload=upload,
        category=category,
        owner={"draft": draft},
        already=Document.objects.in_draft(draft),
        budget_files=settings.UPLOAD_MAX_FILES - count,
        budget_bytes=settings.UPLOAD_MAX_SUBMISSION_BYTES - size,
    )


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
