"""Which draft belongs to this browser: the draft's key kept in the session.

Views call these; the writes to drafts themselves are `records.services.drafts`.
"""

import uuid
from typing import Literal, overload

from django.db import transaction
from django.http import HttpRequest

from records.filenames import display_name
from records.models import Document, DocumentCategory, UploadDraft
from records.services.drafts import draft_file_add
from records.uploads import DRAFT_SESSION_KEY
from records.validation import FileRefused


@overload
def draft_for_request(request: HttpRequest, *, create: Literal[True]) -> UploadDraft: ...
@overload
def draft_for_request(request: HttpRequest, *, create: bool) -> UploadDraft | None: ...
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
                refused.append((display_name(upload.name), exc.reason))
    return stored, refused
