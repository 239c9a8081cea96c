"""Records intake: a submission stored as a patient with their records and an open case.

The patient, their profile, consent and documents, and the case with its outbox row are
written in one transaction; after commit the patient gets an email with their reference and
a portal sign-in link.
"""

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from navigation.models import Case
from navigation.services.cases import case_open
from navigation.services.portal import portal_link_mail
from records.models import UploadDraft
from records.services.patients import patient_submit

logger = logging.getLogger(__name__)


@transaction.atomic
def intake_submit(
    *,
    contact: dict,
    profile: dict,
    consent_version: str,
    draft: UploadDraft | None,
    submission_key: uuid.UUID | None = None,
) -> Case:
    """Store the submission and open its case, all or nothing; mail the patient after commit.

    The same `submission_key` twice (two sends racing) stores one case: the second meets the
    unique key and raises IntegrityError, and `submission_case` then finds the first."""
    patient = patient_submit(
        contact=contact, profile=profile, consent_version=consent_version, draft=draft
    )
    case = case_open(patient=patient, submission_key=submission_key)
    transaction.on_commit(lambda: submission_mail(case_id=case.pk), robust=True)
    return case


def submission_mail(*, case_id: int) -> None:
    """The patient's confirmation: their reference and a sign-in link to the portal.

    Runs after commit, inside the patient's request: a mail relay failure is logged (by case
    id only) and never undoes or hides the submission.
    """
    case = Case.objects.select_related("patient").get(pk=case_id)
    try:
        portal_link_mail(
            email=case.patient.email,
            template="navigation/email/submission_received.txt",
            context={"reference": case.reference, "portal_url": _portal_url()},
        )
    except Exception:
        logger.exception("Could not send the submission email for case %s", case_id)


def _portal_url() -> str:
    return settings.SITE_URL + reverse("navigation:portal")


# Every /submit/ page can carry health answers (a pre-filled form, an error re-render, the
