"""The public pages of navigation: the eligibility checker and its JSON API, and the records
intake (the `/submit/` page).

The checker (`/eligibility/`) and `/api/v1/prescreen/` run `navigation.eligibility` and store
nothing. The checker is a GET form, so a result is a plain link (shareable, bookmarkable,
works without JavaScript), and its "continue" link hands the same answers to /submit/ in the
engine's own names and values.

The page holds three forms (contact, clinical profile, consent) and the documents. Files
reach this browser session's draft before the form is checked, one by one through the
upload endpoint when JavaScript runs, or with the form itself when it does not, so a
mistake elsewhere on the page never makes anyone upload again. On success the submission
is stored by `navigation.services.intake.intake_submit`, all or nothing.
"""

import json
import logging
import math
import time
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends.base import UpdateError
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.mail import send_mail
from django.db import DatabaseError, IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cancerfax.security import rate_limited
from navigation.eligibility import (
    EXCLUDING_CRITERION,
    FIELD_DOCUMENTS,
    FIELD_NAMES,
    Outcome,
    Result,
    Status,
    parse_profile,
    prescreen,
    profile_as_query,
    timeline_explanation,
)
from navigation.forms import PrescreenForm
from navigation.models import Case
from navigation.profiles import intake_initial
from navigation.selectors import submission_case
from navigation.services.intake import intake_submit
from navigation.sessions import RECEIVED_SESSION_KEY
from records.draft_session import draft_add_files, draft_attach, draft_detach, draft_for_request
from records.forms import (
    ClinicalProfileForm,
    ConsentForm,
    ContactForm,
)
from records.selectors import upload_fields_context
from records.services.drafts import (
    DRAFT_LIFETIME,
    draft_answers_save,
    draft_resume_link_issue,
    draft_resume_link_redeem,
    draft_resume_link_valid,
)
from records.uploads import files_overflow_message, files_overflowed
from records.vocabulary import UNKNOWN

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# The questions whose answers are kept with the draft. Consent is not: it is given when the
# form is sent, never carried over.
ANSWER_FORMS = (ContactForm, ClinicalProfileForm)
ANSWER_FIELDS = tuple(name for form in ANSWER_FORMS for name in form.base_fields)


# No question takes more; a draft is not a place to store anything else.
ANSWER_MAX_CHARS = 5000


def _answers_from(data: QueryDict) -> dict[str, list[str]]:
    return {
        name: [value[:ANSWER_MAX_CHARS] for value in data.getlist(name)[:5]]
        for name in ANSWER_FIELDS
        if name in data
    }


def _initial_from(form_class: type[forms.Form], answers: dict[str, list[str]]) -> dict[str, Any]:
    """Initial values that show kept answers exactly as they were typed (not cleaned)."""
    data = QueryDict(mutable=True)
    for name, values in answers.items():
        data.setlist(name, values)
    fields = form_class.base_fields
    return {
        name: fields[name].widget.value_from_datadict(data, {}, name)
        for name in answers
        if name in fields
    }


def _submission_key(request: HttpRequest) -> uuid.UUID:
    """The key the form carries (made when the page was first shown, kept on re-renders)."""
    try:
        return uuid.UUID(request.POST.get("submission_key", ""))
    except ValueError:
        return uuid.uuid4()


def _received(request: HttpRequest, case: Case) -> HttpResponse:
    """The patient's reference, however the request ends. Through the session and a
    redirect when the session can be saved; shown at once when it cannot (the database
    went away just after the commit), never as an error page for a stored case."""
    request.session[RECEIVED_SESSION_KEY] = case.reference
    try:
        request.session.save()
    except (DatabaseError, UpdateError):  # the database session store says UpdateError
        logger.warning("session not saved after case %s was stored: shown directly", case.pk)
        request.session.modified = False  # the middleware must not try (and fail) again
        return _received_page(request, case.reference)
    return redirect("navigation:submit_received")


def _received_page(request: HttpRequest, reference: str) -> HttpResponse:
    return render(
        request,
        "navigation/submit_received.html",
        {"reference": reference, "portal_url": reverse("navigation:portal")},
    )


def _not_stored(request: HttpRequest, context: dict) -> HttpResponse:
    """Storing failed before anything of the submission was saved (the database or file
    storage is unavailable): say so, and give the form back with every answer in it."""
    request.session.modified = False
    try:
        context.update(upload_fields_context(draft=draft_for_request(request, create=False)))
    except DatabaseError:
        context.update(upload_fields_context(draft=None))
    context["not_stored"] = True
    return render(request, "navigation/submit.html", context, status=503)


# received page): no browser or proxy may keep a copy.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    refused: list[tuple[str, str]] = []
    later_error = ""
    if request.method == "POST":
        key = _submission_key(request)
        contact = ContactForm(request.POST)
        profile = ClinicalProfileForm(request.POST)
        consent = ConsentForm(request.POST)
        context = _form_context(contact, profile, consent, key)
        try:
            # A form sent again after its submission was stored (the answer was lost on
            # the way back, or the patient clicked twice): the same case, nothing stored
            # twice, not even the files that came with it.
            if (case := submission_case(key)) is not None:
                return _received(request, case)
            if request.FILES:
                # Without JavaScript the files come with the form: keep them in the draft
                # before anything else is checked, so a mistake elsewhere does not lose them.
                _stored, refused = draft_add_files(request=request)
            if files_overflowed(request):
                refused.append((_("Your documents"), files_overflow_message()))
            # Whatever happens next, what was typed is kept with the draft.
            draft_answers_save(
                draft=draft_for_request(request, create=True),
                answers=_answers_from(request.POST),
            )
            if request.POST.get("action") == "later":
                sent = _continue_later(request)
                if sent:
                    return sent
                later_error = _("To continue later, we need your email address to send the link.")
                contact, profile, consent = _forms_from_draft(request)
                context = _form_context(contact, profile, consent, key)
                status = 400
            else:
                forms_valid = all([contact.is_valid(), profile.is_valid(), consent.is_valid()])
                # Only complete submissions count: correcting a mistake never uses up the
                # budget.
                limited = (
                    forms_valid
                    and not refused
                    and rate_limited(
                        request, scope="submit", limit=settings.SUBMIT_RATE_LIMIT, period=3600
                    )
                )
                if forms_valid and not refused and not limited:
                    try:
                        case = intake_submit(
                            contact=contact.cleaned_data,
                            profile=profile.cleaned_data,
                            consent_version=consent.cleaned_data["consent_version"],
                            draft=draft_for_request(request, create=False),
                            submission_key=key,
                        )
                    except IntegrityError:
                        # The same form, sent twice at once: the other send stored it.
                        if (case := submission_case(key)) is None:
                            raise
                    return _received(request, case)
                status = 429 if limited else 400
        except (DatabaseError, OSError):
            # The database or file storage failed. If the connection broke at COMMIT the
            # case may have been stored after all: the key finds it when the form is sent
            # again, so the page can honestly say that sending again is safe.
            logger.warning("submission not stored: database or storage unavailable")
            return _not_stored(request, context)
    else:
        # Give this browser its session and draft now, so every file chosen on the page
        # lands in one draft, and its kept answers (a reload, "continue later") come back.
        draft_for_request(request, create=True)
        contact, profile, consent = _forms_from_draft(request)
        context = _form_context(contact, profile, consent, uuid.uuid4())
        status = 200
    context.update(
        refused_files=refused,
        later_error=later_error,
        has_errors=status == 400,
        rate_limited=status == 429,
        **upload_fields_context(draft=draft_for_request(request, create=False)),
    )
    return render(request, "navigation/submit.html", context, status=status)


def _form_context(contact, profile, consent, key: uuid.UUID) -> dict:
    return {
        "contact_form": contact,
        "profile_form": profile,
        "consent_form": consent,
        "forms": [contact, profile, consent],
        "submission_key": key,
    }


def _forms_from_draft(
    request: HttpRequest,
) -> tuple[ContactForm, ClinicalProfileForm, ConsentForm]:
    """Unbound forms showing the draft's kept answers, else the pre-screen's."""
    draft = draft_for_request(request, create=False)
    answers = draft.answers if draft is not None else {}
    profile_initial = {
        **intake_initial(request.GET, today=timezone.localdate()),
        **_initial_from(ClinicalProfileForm, answers),
    }
    return (
        ContactForm(initial=_initial_from(ContactForm, answers)),
        ClinicalProfileForm(initial=profile_initial),
        ConsentForm(),
    )


def _continue_later(request: HttpRequest) -> HttpResponse | None:
    """Mail a link that reopens this draft; None when there is no usable email address."""
    try:
        email = forms.EmailField().clean(request.POST.get("email", ""))
    except ValidationError:
        return None
    if rate_limited(request, scope="submit-later", limit=settings.SUBMIT_RATE_LIMIT, period=3600):
        return render(request, "navigation/submit_later.html", {"limited": True}, status=429)
    draft = draft_for_request(request, create=True)
    token = draft_resume_link_issue(draft=draft)
    expires = draft.created_at + DRAFT_LIFETIME
    body = render_to_string(
        "navigation/email/continue_later.txt",
        {
            "link": settings.SITE_URL + reverse("navigation:submit_resume", args=[token]),
            "expires": expires,
        },
    )
    subject, _sep, text = body.partition("\n")
    try:
        send_mail(subject.strip(), text.lstrip(), None, [email])
    except Exception as exc:
        # The answers are kept either way; the page says so and offers to try again. The
        # error's text may hold the address: only its kind is logged.
        logger.warning("continue-later email not sent: %s", type(exc).__name__)
        return render(request, "navigation/submit_later.html", {"failed": True}, status=503)
    draft_detach(request, draft)
    return render(request, "navigation/submit_later.html", {"email": email, "expires": expires})


@never_cache
@require_POST
def submit_draft_save(request: HttpRequest) -> JsonResponse:
    """The page's script keeps the answers with the draft as they are typed."""
    if rate_limited(request, scope="submit-draft", limit=120, period=60):
        return JsonResponse({"error": _("Too many saves in a short time.")}, status=429)
    draft = draft_for_request(request, create=True)
    draft_answers_save(draft=draft, answers=_answers_from(request.POST))
    return JsonResponse({"saved": True})


@require_http_methods(["GET", "HEAD", "POST"])
def submit_resume(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST spends the link (mail scanners open links on their own)."""
    if request.method != "POST":
        valid = draft_resume_link_valid(token=token)
        return render(
            request,
            "navigation/submit_resume.html",
            {"valid": valid, "token": token},
            status=200 if valid else 400,
        )
    draft = draft_resume_link_redeem(token=token)
    if draft is None:
        context = {"valid": False, "token": token}
        return render(request, "navigation/submit_resume.html", context, status=400)
    draft_attach(request, draft)
    messages.success(request, _("Welcome back: your answers and files are as you left them."))
    return redirect("navigation:submit")


@never_cache
@require_http_methods(["GET", "HEAD"])
def submit_received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(RECEIVED_SESSION_KEY)
    if not reference:
        return redirect("navigation:submit")
    return _received_page(request, reference)


# --- the eligibility checker and its API ------------------------------------------------

SUBMIT_PATH = "/submit/"
RATE_LIMIT_PERIOD = 60


OUTCOME_WORDS: "dict[Outcome, tuple[str, StrOrPromise, StrOrPromise]]" = {
    Outcome.STRONG: (
        "success",
        gettext_lazy("Your situation matches the best-evidenced setting for CIK therapy"),
        gettext_lazy(
            "Combining CIK with first-line chemotherapy has the strongest evidence in the table."
        ),
    ),
    Outcome.GOOD: (
        "success",
        gettext_lazy("Your situation matches a setting with good evidence for CIK therapy"),
        gettext_lazy(
            "After curative surgery, CIK is used to lower the chance of the cancer coming back."
        ),
    ),
    Outcome.AVAILABLE: (
        "success",
        gettext_lazy(
            "Your situation matches a setting where evidence for CIK therapy is available"
        ),
        gettext_lazy("Trials combining CIK with first-line treatment showed longer survival."),
    ),
    Outcome.LIMITED: (
        "warning",
        gettext_lazy("Your situation matches a setting where evidence for CIK therapy is limited"),
        gettext_lazy("A specialist would need to look at your case in detail."),
    ),
    Outcome.EXCLUDED: (
        "danger",
        gettext_lazy("CIK therapy is generally not offered in this situation"),
        gettext_lazy(
            "With very limited daily activity or severe malnutrition, the immune system is "
            "usually too weak to make and use CIK cells. A coordinator can still help you "
            "look at other options."
        ),
    ),
    Outcome.NOT_COVERED: (
        "secondary",
        gettext_lazy("Your situation is outside the settings the table describes"),
        gettext_lazy(
            "That does not rule anything out: a coordinator can review your records "
            "and look at other options."
        ),
    ),
    Outcome.INSUFFICIENT_INFORMATION: (
        "info",
        gettext_lazy("We need a little more information to say which setting applies"),
        gettext_lazy("The documents listed below would answer the open questions."),
    ),
}
# What each status means for the family reading the result. The exclusion row says in
# words whether the patient is excluded: "met" there is bad news, not a green tick.
STATUS_WORDS = {
    Status.MET: gettext_lazy("Applies to you"),
    Status.NOT_MET: gettext_lazy("Does not apply"),
    Status.UNKNOWN: gettext_lazy("Not known yet"),
}
EXCLUSION_WORDS = {
    Status.MET: gettext_lazy("Applies to you: CIK is generally not offered"),
    Status.NOT_MET: gettext_lazy("Does not apply: you are not excluded"),
    Status.UNKNOWN: gettext_lazy("Not known yet"),
}


def _badge(status: Status, *, excluding: bool) -> str:
    # Meeting the exclusion row is bad news, not good: colour it as such.
    if status is Status.UNKNOWN:
        return "text-bg-light border"
    if (status is Status.MET) != excluding:
        return "text-bg-success"
    return "text-bg-danger" if excluding else "text-bg-secondary"


def _answers(form: PrescreenForm) -> list[tuple[str, str]]:
    """The answers given, as (question, answer) in the order asked, for the printed result."""
    answers = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in ("", None, UNKNOWN):
            continue
        if isinstance(field, forms.ChoiceField):
            shown = str(dict(cast(list[tuple[str, str]], field.choices)).get(value, value))
        else:
            shown = date_format(value, "j F Y")
        answers.append((str(field.label), shown))
    return answers


def _result_context(form: PrescreenForm, result: Result, today: date) -> dict[str, Any]:
    tone, headline, explanation = OUTCOME_WORDS[result.outcome]
    return {
        "result": result,
        "today": today,
        "tone": tone,
        "headline": headline,
        "explanation": explanation,
        "answers": _answers(form),
        "criteria": [
            {
                "criterion": c.criterion,
                "status": c.status.value,
                "status_words": (
                    EXCLUSION_WORDS if c.criterion.id == EXCLUDING_CRITERION else STATUS_WORDS
                )[c.status],
                "badge": _badge(c.status, excluding=c.criterion.id == EXCLUDING_CRITERION),
                "reason": c.reason,
            }
            for c in result.criteria
        ],
        "missing": [
            {"field": name, "question": form.fields[name].label, "document": FIELD_DOCUMENTS[name]}
            # In the order the questions are asked, not alphabetical as in the API.
            for name in sorted(result.missing, key=FIELD_NAMES.index)
        ],
        "timeline_explanation": timeline_explanation(result.as_dict()),
        "submit_url": f"{SUBMIT_PATH}?{urlencode(profile_as_query(result.profile))}",
    }


def eligibility(request: HttpRequest) -> HttpResponse:
    """The public checker: questions, and once answered the pre-screen's result."""
    answered = any(name in request.GET for name in FIELD_NAMES)
    form = PrescreenForm(request.GET if answered else None)
    context: dict[str, Any] = {"form": form}
    if answered and form.is_valid() and form.profile is not None:
        today = timezone.localdate()
        context.update(_result_context(form, prescreen(form.profile, today=today), today))
    response = render(request, "navigation/eligibility.html", context)
    if answered:
        # The page holds health information: keep it out of shared caches.
        patch_cache_control(response, private=True, no_store=True)
    return response


def _errors(errors: dict[str, list[str]], status: int) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    patch_cache_control(response, no_store=True)
    return response


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


@csrf_exempt  # a public, anonymous, read-only computation: there is no session to protect
def prescreen_api(request: HttpRequest) -> HttpResponse:
    """POST a profile as a JSON object; get the pre-screen. Nothing is stored."""
    if request.method != "POST":
        response = _errors({"__all__": ["Use POST with a JSON object of answers."]}, 405)
        response["Allow"] = "POST"
        return response
    limit = settings.PRESCREEN_API_RATE_LIMIT
    if limit > 0 and rate_limited(
        request, scope="prescreen-api", limit=limit, period=RATE_LIMIT_PERIOD
    ):
        response = _errors({"__all__": ["Too many requests. Please wait a minute."]}, 429)
        response["Retry-After"] = str(
            max(1, math.ceil(RATE_LIMIT_PERIOD - time.time() % RATE_LIMIT_PERIOD))
        )
        return response
    try:
        data = json.loads(request.body, parse_constant=_reject_constant)
    except RequestDataTooBig:
        return _errors({"__all__": ["The body is too large."]}, 400)
    except (ValueError, RecursionError):  # includes bad UTF-8 and over-long integers
        return _errors({"__all__": ["The body is not valid JSON."]}, 400)
    today = timezone.localdate()
    profile, errors = parse_profile(data, today=today)
    if profile is None:
        return _errors(errors, 400)
    response = JsonResponse(prescreen(profile, today=today).as_dict())
    patch_cache_control(response, no_store=True)
    return response
