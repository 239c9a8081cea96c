"""Reads for pages that show records: what the upload fields need."""

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse

from records.models import HER2_FROM_TESTS, Document, DocumentCategory, UploadDraft
from records.validation import ALLOWED_KINDS, KIND_NAMES

_ACCEPT = {
    "pdf": ".pdf,application/pdf",
    "jpeg": ".jpg,.jpeg,image/jpeg",
    "png": ".png,image/png",
    "tiff": ".tif,.tiff,image/tiff",
}


def upload_fields_context(*, draft: UploadDraft | None) -> dict[str, Any]:
    """Context for `records/includes/upload_fields.html`: one file input per category,
    with the files this draft already holds (they survive any form error)."""
    documents = list(Document.objects.in_draft(draft)) if draft is not None else []
    categories = []
    for category in DocumentCategory:
        kinds = ALLOWED_KINDS[category]
        # DICOM files often have no extension at all: no file picker filter where they fit.
        accept = "" if {"dicom", "zip"} & kinds else ",".join(_ACCEPT[k] for k in sorted(kinds))
        categories.append(
            {
                "value": category.value,
                "label": category.label,
                "accept": accept,
                "kinds": ", ".join(KIND_NAMES[k] for k in sorted(kinds)),
                "documents": [d for d in documents if d.category == category.value],
            }
        )
    return {
        "upload_categories": categories,
        "upload_limits": {
            "max_file_bytes": settings.UPLOAD_MAX_FILE_BYTES,
            "max_files": settings.UPLOAD_MAX_FILES,
            "max_submission_bytes": settings.UPLOAD_MAX_SUBMISSION_BYTES,
        },
        "upload_url": reverse("records:upload_create"),
    }


def upload_fields_context_for_request(request: HttpRequest) -> dict[str, Any]:
    from records.services import draft_for_request

    return upload_fields_context(draft=draft_for_request(request, create=False))


def _her2_tests_q(status: str, prefix: str) -> Q:
    """Profiles whose test scores give `status`, from the one table HER2_FROM_TESTS."""
    q = Q(pk__in=[])
    for ihc, ish, rule_status in HER2_FROM_TESTS:
        if rule_status == status:
            rule = Q(**{f"{prefix}her2_ihc": ihc})
            if ish is not None:
                rule &= Q(**{f"{prefix}her2_ish__in": ish})
            q |= rule
    return q


def _no_her2_scores_q(prefix: str) -> Q:
    return ~Q(**{f"{prefix}her2_ihc__in": {row[0] for row in HER2_FROM_TESTS}})


def her2_q(status: str, *, prefix: str = "") -> Q:
    """Profiles whose HER2 status (ClinicalProfile.her2_status) is `status` ("" for unknown):
    the test scores win; without them, what was reported. `prefix` reaches the profile from
    another model, e.g. "patient__profile__" from a case (no profile at all is unknown)."""
    reported = _no_her2_scores_q(prefix) & Q(**{f"{prefix}her2_reported_status": status})
    if status:
        return _her2_tests_q(status, prefix) | reported
    missing = Q(**{f"{prefix.removesuffix('__')}__isnull": True}) if prefix else Q(pk__in=[])
    return missing | reported


def her2_discordant_q(*, prefix: str = "") -> Q:
    """Profiles where the reported HER2 status disagrees with the test scores
    (ClinicalProfile.her2_discordant)."""
    q = Q(pk__in=[])
    for status in {row[2] for row in HER2_FROM_TESTS}:
        q |= _her2_tests_q(status, prefix) & ~Q(
            **{f"{prefix}her2_reported_status__in": ["", status]}
        )
    return q
