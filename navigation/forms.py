"""Forms: the public eligibility checker's, the portal's (sign-in, upload, withdrawal), the
coordinators' case page's and the centres admin's."""

from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from navigation.eligibility import Profile, profile_from_query
from navigation.models import Case, CaseStatus, Centre
from navigation.services.cases import ALLOWED_TRANSITIONS
from records import vocabulary
from records.emails import CanonicalEmailFormField
from records.models import DocumentCategory

# --- the public eligibility checker -------------------------------------------------------


def _question(name: str) -> forms.Field:
    """The shared question (records.vocabulary), with its "I don't know"."""
    question = vocabulary.SHARED[name]
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
        self.profile: Profile | None = None
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
        data = super().clean() or {}
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


# --- the patient portal -----------------------------------------------------------------


class SignInForm(forms.Form):
    email = CanonicalEmailFormField(
        label=_("Your email address"),
        help_text=_("The address you gave when you submitted your records."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PortalUploadForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it?"), choices=DocumentCategory.choices)


class WithdrawalForm(forms.Form):
    erase = forms.BooleanField(
        label=_("Also erase my personal data and documents"),
        required=False,
        help_text=_("A coordinator will confirm by email once it is done."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my case will be closed and no longer reviewed"),
        error_messages={"required": _("Please tick this box to confirm.")},
    )


# --- the coordinators' case page and the centres admin -----------------------------------


class RecordsRequestForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("Records to ask for"),
        choices=DocumentCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label=_("Anything else (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    message = forms.CharField(
        label=_("Message to the patient"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent by email with a link to their portal, and shown in the portal."),
    )

    def clean(self) -> dict:
        data = super().clean()
        others = [line.strip() for line in data.get("other", "").splitlines() if line.strip()]
        data["all_items"] = list(data.get("items", [])) + others
        if not data["all_items"]:
            raise forms.ValidationError(_("Tick at least one record, or write what you need."))
        return data


class CaseNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by coordinators only, never by the patient."),
    )


class CaseTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Move to"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_TRANSITIONS.get(case.status, frozenset())
        self.fields["to_status"].choices = [
            (value, label) for value, label in CaseStatus.choices if value in allowed
        ]


class CentreChoiceForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.filter(active=True))


class CentreAdminForm(forms.ModelForm):
    class Meta:
        model = Centre
        fields = [
            "name",
            "city",
            "country",
            "offers_adjuvant_cik",
            "offers_cik_first_line",
            "her2_experience",
            "intraperitoneal_cik_trials",
            "languages",
            "contact",
            "is_example",
            "active",
        ]

    def clean_languages(self) -> str:
        languages = [
            part.strip() for part in self.cleaned_data["languages"].split(",") if part.strip()
        ]
        if not languages:
            raise forms.ValidationError(_("Name at least one language, separated by commas."))
        return ", ".join(languages)
