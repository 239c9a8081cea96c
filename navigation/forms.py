"""Forms: the portal's (sign-in, upload, withdrawal), the coordinators' case page's and the
centres admin's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from navigation.models import Case, CaseStatus, Centre
from navigation.services.cases import ALLOWED_TRANSITIONS
from records.emails import CanonicalEmailFormField
from records.models import DocumentCategory

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
