"""The intake forms: who to reach, the clinical profile, consent.

Every clinical question has an explicit "I don't know", and the cleaned data of each form
is ready for `records.services.patients.patient_submit` (None / "" where the answer is
unknown).
Forms carry a crispy `helper` without a <form> tag so one page can hold all three.
"""

import datetime
import json
from collections.abc import Callable
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from records import vocabulary
from records.consent import CONSENT_TEXT, CONSENT_TEXTS, CONSENT_VERSION
from records.models import ClinicalProfile, DocumentCategory, Patient, Relationship
from records.phones import country_choices, national_examples, phone_parse
from records.vocabulary import UNKNOWN


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


def _not_in_future(value: datetime.date | None) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future. Please check it."))


def _answer(
    question: vocabulary.Question, to_value: Callable[[str], Any]
) -> forms.TypedChoiceField:
    """A required question, defined in records.vocabulary, whose "I don't know" answer
    cleans to None or ""."""
    return forms.TypedChoiceField(
        label=question.label,
        choices=question.answers(),
        coerce=to_value,
        initial=UNKNOWN,
        help_text=question.help_text,
        widget=forms.Select if question.widget == "select" else forms.RadioSelect,
    )


def _date(question: vocabulary.Question) -> forms.DateField:
    return forms.DateField(
        label=question.label,
        required=False,
        validators=[_not_in_future],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=question.help_text,
    )


def _to_bool(value: str) -> bool | None:
    return {vocabulary.YES: True, vocabulary.NO: False}.get(value)


def _to_int(value: str) -> int | None:
    return None if value == UNKNOWN else int(value)


def _to_text(value: str) -> str:
    return "" if value == UNKNOWN else value


def _with_unknown(choices: list) -> list:
    return [*choices, (UNKNOWN, vocabulary.DONT_KNOW_LABEL)]


PHONE_HELP_FOR_COUNTRY = _(
    "As you would dial it in {country}, for example {example}; or with the country code."
)
PHONE_HELP_WITHOUT_COUNTRY = _(
    "Choose the country first, or write the number with its country code, for example {example}."
)


def phone_help_text(country: str) -> str:
    """The phone question's help: an example as written in the chosen country. The page's
    script (static/js/phone.js) rewrites it from the same template when the country changes."""
    example = national_examples().get(country)
    if example:
        text = format_html(str(PHONE_HELP_FOR_COUNTRY), country=country, example=example)
    else:
        text = format_html(str(PHONE_HELP_WITHOUT_COUNTRY), example="+44 20 7946 0958")
    return format_html(
        '<span data-phone-help data-template="{}">{}</span>', PHONE_HELP_FOR_COUNTRY, text
    )


QUESTIONS = vocabulary.SHARED


class ContactForm(forms.ModelForm):
    """Who the patient is and how to reach whoever is writing to us."""

    country = forms.ChoiceField(
        label=_("Country where the patient lives"),
        choices=[("", _("Choose a country")), *country_choices()],
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    date_of_birth = forms.DateField(
        label=_("Patient's date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Patient
        fields = [
            "full_name",
            "date_of_birth",
            "relationship",
            "contact_name",
            "email",
            "country",
            "phone",
            "preferred_language",
        ]
        labels = {
            "relationship": _("Who is filling in this form?"),
            "email": _("Email address"),
            "preferred_language": _("Language you prefer us to use"),
        }
        widgets = {"relationship": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Radio buttons need no "select an option" entry: nothing ticked means not answered.
        relationship = self.fields["relationship"]
        assert isinstance(relationship, forms.ChoiceField)
        relationship.choices = Relationship.choices
        self.fields["phone"].help_text = phone_help_text(self._chosen_country())
        # Every country's example, for static/js/phone.js (an attribute: no inline script).
        self.fields["country"].widget.attrs["data-phone-examples"] = json.dumps(
            national_examples(), ensure_ascii=False
        )
        self.helper = _helper()

    def _chosen_country(self) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix("country"), "")
        return self.initial.get("country", "") or self.instance.country

    def clean_date_of_birth(self) -> datetime.date:
        value = self.cleaned_data["date_of_birth"]
        _not_in_future(value)
        if value.year < 1900:
            raise ValidationError(_("Please check the year of birth."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("phone"):
            # Stored in E.164 so coordinators can dial it from anywhere.
            e164 = phone_parse(data["phone"], country=data.get("country"))
            if e164:
                data["phone"] = e164
            elif data.get("country"):
                example = national_examples().get(data["country"], "")
                self.add_error(
                    "phone",
                    _(
                        "This is not a phone number in %(country)s. Write it as you would "
                        "there, for example %(example)s, or with the country code (+…)."
                    )
                    % {"country": data["country"], "example": example},
                )
            else:
                self.add_error(
                    "phone", _("Please write the number with its country code, e.g. +44 …")
                )
        if (
            data.get("relationship") in (Relationship.FAMILY, Relationship.DOCTOR)
            and not (data.get("contact_name") or "").strip()
        ):
            self.add_error("contact_name", _("Please tell us your name."))
        return data


class ClinicalProfileForm(forms.Form):
    """The clinical facts, each answerable with "I don't know".

    Field names are the model's, so `cleaned_data` maps straight onto ClinicalProfile.
    """

    P = ClinicalProfile

    diagnosis_date = forms.DateField(
        label=_("When was the cancer diagnosed?"),
        required=False,
        validators=[_not_in_future],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if you don't know."),
    )
    stage = _answer(QUESTIONS["stage"], _to_text)
    tnm_t = forms.CharField(label=_("T (optional)"), max_length=8, required=False)
    tnm_n = forms.CharField(label=_("N (optional)"), max_length=8, required=False)
    tnm_m = forms.CharField(label=_("M (optional)"), max_length=8, required=False)
    lauren_type = _answer(QUESTIONS["lauren_type"], _to_text)
    signet_ring = _answer(QUESTIONS["signet_ring"], _to_bool)
    her2_ihc = forms.TypedChoiceField(
        label=_("HER2 IHC score"),
        choices=_with_unknown(P.Her2Ihc.choices),
        coerce=_to_text,
        initial=UNKNOWN,
        help_text=_("The immunohistochemistry result: 0, 1+, 2+ or 3+."),
        widget=forms.RadioSelect,
    )
    her2_ish = forms.TypedChoiceField(
        label=_("HER2 ISH (FISH) result"),
        choices=_with_unknown(P.Her2Ish.choices),
        coerce=_to_text,
        initial=UNKNOWN,
        help_text=_("Usually done when the IHC score is 2+."),
        widget=forms.RadioSelect,
    )
    her2_reported_status = _answer(QUESTIONS["her2_status"], _to_text)
    ecog = _answer(QUESTIONS["ecog"], _to_int)
    severe_malnutrition = _answer(QUESTIONS["severe_malnutrition"], _to_bool)
    gastrectomy = _answer(QUESTIONS["gastrectomy"], _to_text)
    surgery_date = _date(QUESTIONS["surgery_date"])
    curative_intent = _answer(QUESTIONS["curative_intent"], _to_bool)
    metastatic = _answer(QUESTIONS["metastatic"], _to_bool)
    peritoneal_metastasis = _answer(QUESTIONS["peritoneal_metastasis"], _to_bool)
    prior_lines = _answer(QUESTIONS["prior_lines"], _to_int)
    first_line_regimen = _answer(QUESTIONS["first_line_regimen"], _to_text)
    trastuzumab = _answer(QUESTIONS["trastuzumab"], _to_bool)
    treatment_history = forms.CharField(
        label=_("Anything else about the treatment so far (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        surgery = data.get("surgery_date")
        diagnosis = data.get("diagnosis_date")
        if surgery and data.get("gastrectomy") == ClinicalProfile.Gastrectomy.NONE:
            self.add_error("surgery_date", _("You answered that there was no surgery."))
        if surgery and diagnosis and surgery < diagnosis - datetime.timedelta(days=31):
            self.add_error("surgery_date", _("This is well before the diagnosis date."))
        return data


class ConsentForm(forms.Form):
    """Explicit consent, never pre-ticked; the version shown is the version stored."""

    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        required=True,
        initial=False,
        error_messages={
            "required": _("We can only look at the records with your consent. Please tick it.")
        },
    )
    consent_version = forms.CharField(widget=forms.HiddenInput, initial=CONSENT_VERSION)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_consent_version(self) -> str:
        version = self.cleaned_data["consent_version"]
        if version not in CONSENT_TEXTS or version != CONSENT_VERSION:
            raise ValidationError(
                _("The consent text has changed since this page was opened. Please read it again.")
            )
        return version


class DocumentUploadForm(forms.Form):
    """One file and its category: the JSON upload endpoint's input."""

    category = forms.ChoiceField(choices=DocumentCategory.choices)
    file = forms.FileField(allow_empty_file=True)
