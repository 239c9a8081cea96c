"""Records intake: the `/submit/` page that turns a submission into a case.

The page holds three forms (contact, clinical profile, consent) and the documents. Files
reach this browser session's draft before the form is checked, one by one through the
upload endpoint when JavaScript runs, or with the form itself when it does not, so a
mistake elsewhere on the page never makes anyone upload again. On success the patient, their
profile, consent and documents, and the case with its outbox row are written in one
transaction; after commit the patient gets an email with their reference and a portal link.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cancerfax.security import rate_limited
from navigation.models import Case
from navigation.portal import portal_link_mail
from navigation.services import case_open
from records.forms import (
    ClinicalProfileForm,
    ConsentForm,
    ContactForm,
    profile_initial_from_query,
)
from records.models import UploadDraft
from records.phones import national_examples
from records.selectors import upload_fields_context
from records.services import draft_add_files, draft_for_request, patient_submit
from records.uploads import files_overflow_message, files_overflowed

logger = logging.getLogger(__name__)

RECEIVED_SESSION_KEY = "intake_received_case"


@transaction.atomic
def intake_submit(
    *, contact: dict, profile: dict, consent_version: str, draft: UploadDraft | None
) -> Case:
    """Store the submission and open its case, all or nothing; mail the patient after commit."""
    patient = patient_submit(
        contact=contact, profile=profile, consent_version=consent_version, draft=draft
    )
    case = case_open(patient=patient)
    transaction.on_commit(lambda: submission_mail(case_id=case.pk))
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


@require_http_methods(["GET", "HEAD", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    refused: list[tuple[str, str]] = []
    if request.method == "POST":
        contact = ContactForm(request.POST)
        profile = ClinicalProfileForm(request.POST)
        consent = ConsentForm(request.POST)
        if request.FILES:
            # Without JavaScript the files come with the form: keep them in the draft before
            # anything else is checked, so a mistake elsewhere does not lose them.
            _stored, refused = draft_add_files(request=request)
        if files_overflowed(request):
            refused.append((_("Your documents"), files_overflow_message()))
        forms_valid = all([contact.is_valid(), profile.is_valid(), consent.is_valid()])
        # Only complete submissions count: correcting a mistake never uses up the budget.
        limited = (
            forms_valid
            and not refused
            and rate_limited(
                request, scope="submit", limit=settings.SUBMIT_RATE_LIMIT, period=3600
            )
        )
        if forms_valid and not refused and not limited:
            case = intake_submit(
                contact=contact.cleaned_data,
                profile=profile.cleaned_data,
                consent_version=consent.cleaned_data["consent_version"],
                draft=draft_for_request(request, create=False),
            )
            request.session[RECEIVED_SESSION_KEY] = case.reference
            return redirect("navigation:submit_received")
        status = 429 if limited else 400
    else:
        contact = ContactForm()
        profile = ClinicalProfileForm(initial=profile_initial_from_query(request.GET))
        consent = ConsentForm()
        status = 200
        # Give this browser its session and draft now: several files chosen at once upload
        # in parallel, and without a session cookie yet each first upload would start a
        # session of its own, leaving all but one file out of the submission.
        draft_for_request(request, create=True)
    context = {
        "contact_form": contact,
        "profile_form": profile,
        "consent_form": consent,
        "forms": [contact, profile, consent],
        "refused_files": refused,
        "has_errors": status == 400,
        "rate_limited": status == 429,
        "phone_examples": national_examples(),
        **upload_fields_context(draft=draft_for_request(request, create=False)),
    }
    return render(request, "navigation/submit.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def submit_received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(RECEIVED_SESSION_KEY)
    if not reference:
        return redirect("navigation:submit")
    return render(
        request,
        "navigation/submit_received.html",
        {"reference": reference, "portal_url": reverse("navigation:portal")},
    )
