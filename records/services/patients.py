"""A patient's submission: who they are, their clinical profile, their consent."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from records.consent import CONSENT_TEXTS, consent_text_sha256
from records.models import ClinicalProfile, Consent, Document, Patient, UploadDraft

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
