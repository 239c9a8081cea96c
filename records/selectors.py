"""Reads for pages that show records: what the upload fields need."""

from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse

from records.filenames import KIND_NAMES
from records.models import Document, DocumentCategory, UploadDraft
from records.validation import ALLOWED_KINDS

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
        "resumable_url": reverse("records:resumable_create"),
        "resumable_chunk_bytes": settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES,
    }


def drafts_bytes() -> int:
    """What all drafts not yet submitted hold in private storage."""
    total = Document.objects.filter(patient__isnull=True, draft__isnull=False).aggregate(
        size=Sum("size")
    )["size"]
    return total or 0
