"""The public pre-screen: the checker at /eligibility/ and the JSON API.

Both run `navigation.eligibility` and store nothing. The checker is a GET form, so a
result is a plain link (shareable, bookmarkable, works without JavaScript), and its
"continue" link hands the same answers to /submit/ in the engine's own names and values.
"""

import json
import math
import time
from datetime import date
from typing import Any
from urllib.parse import urlencode

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

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
    profile_from_query,
    timeline_explanation,
)
from records import vocabulary

SUBMIT_PATH = "/submit/"
RATE_LIMIT_PERIOD = 60
QUESTIONS = vocabulary.SHARED


def _question(name: str) -> forms.Field:
    """The shared question (records.vocabulary), with its "I don't know"."""
    question = QUESTIONS[name]
    if question.widget == "date":
        return forms.DateField(
            label=question.label,
            required=False,
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text=question.help_text,
        )
    return forms.ChoiceField(
        label=question.label,
        choices=question.answers(),
        required=False,
        initial=vocabulary.UNKNOWN,
        help_text=question.help_text,
        widget=forms.Select if question.widget == "select" else forms.RadioSelect,
    )


class PrescreenForm(forms.Form):
    """The checker's questions in plain words. Field names and values are the engine's."""

    stage = _question("stage")
    metastatic = _question("metastatic")
    peritoneal_metastasis = _question("peritoneal_metastasis")
    gastrectomy = _question("gastrectomy")
    curative_intent = _question("curative_intent")
    surgery_date = _question("surgery_date")
    prior_lines = _question("prior_lines")
    first_line_regimen = _question("first_line_regimen")
    her2_status = _question("her2_status")
    trastuzumab = _question("trastuzumab")
    lauren_type = _question("lauren_type")
    signet_ring = _question("signet_ring")
    ecog = _question("ecog")
    severe_malnutrition = _question("severe_malnutrition")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = None
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = "/eligibility/#result"
        self.helper.form_id = "prescreen-form"
        self.helper.layout = Layout(
            Fieldset(
                _("The diagnosis"),
                "stage",
                InlineRadios("metastatic"),
                InlineRadios("peritoneal_metastasis"),
            ),
            Fieldset(_("Surgery"), "gastrectomy", InlineRadios("curative_intent"), "surgery_date"),
            Fieldset(
                _("Treatment"), "prior_lines", "first_line_regimen", InlineRadios("trastuzumab")
            ),
            Fieldset(
                _("Tests on the tumour"), "her2_status", "lauren_type", InlineRadios("signet_ring")
            ),
            Fieldset(_("Day-to-day health"), "ecog", InlineRadios("severe_malnutrition")),
            Submit("check", _("Check eligibility")),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        answers = {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in data.items()
            if value not in ("", None, vocabulary.UNKNOWN)
        }
        # One validation path for the checker, the API and /submit/ links: the engine's.
        self.profile, errors = profile_from_query(answers, today=timezone.localdate())
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return data


OUTCOME_WORDS: dict[Outcome, tuple[str, str, str]] = {
    Outcome.STRONG: (
        "success",
        _("Your situation matches the best-evidenced setting for CIK therapy"),
        _("Combining CIK with first-line chemotherapy has the strongest evidence in the table."),
    ),
    Outcome.GOOD: (
        "success",
        _("Your situation matches a setting with good evidence for CIK therapy"),
        _("After curative surgery, CIK is used to lower the chance of the cancer coming back."),
    ),
    Outcome.AVAILABLE: (
        "success",
        _("Your situation matches a setting where evidence for CIK therapy is available"),
        _("Trials combining CIK with first-line treatment showed longer survival."),
    ),
    Outcome.LIMITED: (
        "warning",
        _("Your situation matches a setting where evidence for CIK therapy is limited"),
        _("A specialist would need to look at your case in detail."),
    ),
    Outcome.EXCLUDED: (
        "danger",
        _("CIK therapy is generally not offered in this situation"),
        _(
            "With very limited daily activity or severe malnutrition, the immune system is "
            "usually too weak to make and use CIK cells. A coordinator can still help you "
            "look at other options."
        ),
    ),
    Outcome.NOT_COVERED: (
        "secondary",
        _("Your situation is outside the settings the table describes"),
        _(
            "That does not rule anything out: a coordinator can review your records "
            "and look at other options."
        ),
    ),
    Outcome.INSUFFICIENT_INFORMATION: (
        "info",
        _("We need a little more information to say which setting applies"),
        _("The documents listed below would answer the open questions."),
    ),
}
# What each status means for the family reading the result. The exclusion row says in
# words whether the patient is excluded: "met" there is bad news, not a green tick.
STATUS_WORDS = {
    Status.MET: _("Applies to you"),
    Status.NOT_MET: _("Does not apply"),
    Status.UNKNOWN: _("Not known yet"),
}
EXCLUSION_WORDS = {
    Status.MET: _("Applies to you: CIK is generally not offered"),
    Status.NOT_MET: _("Does not apply: you are not excluded"),
    Status.UNKNOWN: _("Not known yet"),
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
        if value in ("", None, vocabulary.UNKNOWN):
            continue
        if isinstance(field, forms.ChoiceField):
            shown = str(dict(field.choices).get(value, value))
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
    if answered and form.is_valid():
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
    if errors:
        return _errors(errors, 400)
    response = JsonResponse(prescreen(profile, today=today).as_dict())
    patch_cache_control(response, no_store=True)
    return response
