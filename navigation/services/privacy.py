"""Erasure and retention: removing a patient's data for good.

A patient asks for erasure in the portal (the case closes as withdrawn and the coordinators
are told); a coordinator confirms it with `case_erase`. Closed cases are purged the same way
once `RETENTION_DAYS` have passed since their last event (`cases_purge_expired`, daily).

What goes: the patient, their clinical profile, consents, documents and their files, the
case with its history, notes, review tasks, outbox rows (so queued work finds nothing and
stops), records requests, the oncology summary and its file, unspent portal links, sign-in
requests, every session row holding anything of theirs (portal sign-ins, the submission's
received page, the upload draft), expired or not, and admin log entries about those rows.
What stays: the audit trail, which names the patient only by a random id (`patient_ref`)
and cannot be changed.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cancerfax.models import UserSession
from navigation.models import (
    CLOSED_STATUSES,
    Case,
    CaseEvent,
    CaseNote,
    OncologySummary,
    Outbox,
    PortalSignInRequest,
    PortalToken,
    RecordsRequest,
    ReviewTask,
)
from navigation.sessions import RECEIVED_SESSION_KEY, SESSION_EMAIL, SESSION_PATIENTS
from records.models import ClinicalProfile, Consent, Document, Patient, UploadDraft

logger = logging.getLogger(__name__)

ERASE_PERMISSION = "records.delete_patient"


class ErasureNotAllowed(PermissionError):
    """Only a coordinator (someone who may delete patient records) confirms an erasure."""


def _admin_log_entries(case: Case, patient: Patient):
    """Admin history rows about this patient's rows (their object_repr names the row)."""
    owned = {
        Patient: Patient.objects.filter(pk=patient.pk),
        Case: Case.objects.filter(pk=case.pk),
        ClinicalProfile: ClinicalProfile.objects.filter(patient=patient),
        Consent: Consent.objects.filter(patient=patient),
        Document: Document.objects.filter(patient=patient),
        **{
            model: model.objects.filter(case=case)
            for model in (CaseEvent, CaseNote, ReviewTask, RecordsRequest, Outbox, OncologySummary)
        },
    }
    entries = LogEntry.objects.none()
    for model, rows in owned.items():
        pks = [str(pk) for pk in rows.values_list("pk", flat=True)]
        if pks:
            content_type = ContentType.objects.get_for_model(model)
            entries = entries | LogEntry.objects.filter(
                content_type=content_type, object_id__in=pks
            )
    return entries


def _sessions_of(case: Case, patient: Patient, draft_session_keys: set[str]) -> list[str]:
    """Keys of every session row holding this patient's data, expired or not: an expired row
    stays in the table until `clearsessions` runs, with the address still in it.

    Patients' sessions carry no user id, so they are read one by one; an erasure is rare.
    """
    keys = []
    for session in UserSession.objects.filter(user_id__isnull=True).iterator():
        data = session.get_decoded()
        if (
            session.session_key in draft_session_keys
            or data.get(SESSION_EMAIL) == patient.email
            or patient.pk in (data.get(SESSION_PATIENTS) or [])
            or data.get(RECEIVED_SESSION_KEY) == case.reference
        ):
            keys.append(session.session_key)
    return keys


@transaction.atomic
def case_erase(*, case_id: int, confirmed_by: AbstractBaseUser | None) -> bool:
    """Erase a case's patient and everything about them. False if already gone.

    `confirmed_by` is the coordinator confirming the patient's request; None only for the
    retention purge, which runs on the policy's authority.
    """
    if confirmed_by is not None and not confirmed_by.has_perm(ERASE_PERMISSION):
        raise ErasureNotAllowed("only a coordinator can confirm an erasure")
    case = Case.objects.select_for_update().select_related("patient").filter(pk=case_id).first()
    if case is None:
        return False
    patient = case.patient
    files = list(patient.documents.values_list("storage_name", flat=True))
    summary = OncologySummary.objects.filter(case=case).values_list("storage_name", flat=True)
    files += list(summary)
    drafts = UploadDraft.objects.filter(documents__patient=patient).distinct()
    _admin_log_entries(case, patient).delete()
    draft_session_keys = set(drafts.values_list("session_key", flat=True))
    UserSession.objects.filter(
        session_key__in=_sessions_of(case, patient, draft_session_keys)
    ).delete()
    if not Patient.objects.filter(email=patient.email).exclude(pk=patient.pk).exists():
        PortalToken.objects.filter(email=patient.email).delete()
        PortalSignInRequest.objects.filter(email=patient.email).delete()
    draft_ids = list(drafts.values_list("pk", flat=True))
    # Deleting the patient cascades to the profile, consents, documents and the case with
    # its events, notes, review tasks, outbox rows, records requests and summary.
    patient.delete()
    UploadDraft.objects.filter(pk__in=draft_ids, documents__isnull=True).delete()

    def remove_files() -> None:
        storage = storages["private"]
        for name in files:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete a stored file of erased case %s", case_id)

    # Files go only once the rows are gone for good: a rollback must not leave rows whose
    # files were deleted.
    transaction.on_commit(remove_files)
    logger.info(
        "case %s erased (confirmed by user %s)",
        case_id,
        getattr(confirmed_by, "pk", "retention policy"),
    )
    return True


def cases_purge_expired(*, now: datetime | None = None, days: int | None = None) -> int:
    """Erase closed cases whose last event is older than the retention period."""
    now = now or timezone.now()
    days = settings.RETENTION_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    expired = (
        Case.objects.filter(status__in=CLOSED_STATUSES)
        .annotate(last_event=Max("events__at"))
        .filter(last_event__lt=cutoff, updated_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
    return sum(case_erase(case_id=pk, confirmed_by=None) for pk in list(expired))
