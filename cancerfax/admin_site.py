"""The admin site: every page needs a password AND a verified second factor.

`cancerfax.apps.OTPAdminConfig` replaces "django.contrib.admin" in INSTALLED_APPS and makes
`CancerfaxAdminSite` the default site, so every `admin.site.register(...)` and
`@admin.register(...)` in the apps lands on the two-factor site with no change to them.

The site knows nothing of patients: an autocomplete answer is announced with
`autocomplete_answered`, and the app that holds personal data (records) audits it.
"""

import json

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice

from cancerfax.security import rate_limited

# Sent after each autocomplete answer (the search behind a related-object field) with the
# request, `model` (whose rows were offered), `to_field` (the field the offered ids are
# values of) and `ids`. A search that maps what was typed (an email, say) to a person is a
# view of that person's data: the app holding it connects here to audit the answer.
autocomplete_answered = Signal()


def _looks_like_app_code(token: str, device) -> bool:
    digits = getattr(device, "digits", 6)
    return token.isdigit() and len(token) == digits


class CodeInput(forms.TextInput):
    """A code field that starts empty after a failed attempt: the old code is spent."""

    def format_value(self, value):
        return None


class OneStepSignInForm(OTPAdminAuthenticationForm):
    """Username, password and code in one form, sent once.

    The stock form wants the device chosen from a list it can only fill after a first,
    failed attempt. Here the code's shape picks the device: six digits are the authenticator
    app's, anything else a backup code. Only a user with several authenticator apps is asked
    which one, and the code is checked against that device alone, never against each in turn
    (a miss counts as a failed attempt on the device it was tried on).
    """

    otp_token = forms.CharField(
        label=_("Six-digit code"),
        required=False,
        help_text=_("From your authenticator app, or one of your backup codes."),
        widget=CodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 16}
        ),
    )
    otp_device = forms.CharField(
        label=_("Authenticator"), required=False, widget=forms.Select(choices=[])
    )

    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_(
            "Enter the six-digit code from your authenticator app (or a backup code)."
        ),
        invalid_token=_(
            "That code is wrong or has expired. Enter the current six-digit code from your "
            "authenticator app, or an unused backup code."
        ),
        device_required=_(
            "You have more than one authenticator app: choose the one the code came from, "
            "then enter your password and a current code again."
        ),
    )

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        devices = list(devices_for_user(user, confirmed=True))
        if not devices:
            raise forms.ValidationError(
                _(
                    "No authenticator is set up for this account yet. Ask an administrator "
                    "to enrol one (manage.py enrol_totp)."
                ),
                code="no_device",
            )
        if token and not any(_looks_like_app_code(token, d) for d in devices):
            candidates = [d for d in devices if isinstance(d, StaticDevice)]
        else:
            candidates = [
                d
                for d in devices
                if not isinstance(d, StaticDevice) and _looks_like_app_code(token, d)
            ]
        # One candidate: use it. None or several: the form asks (device_required).
        return candidates[0] if len(candidates) == 1 else None

    def _update_form(self, user):
        # The stock form fills the device list and renders the password back into the page;
        # here the password is never rendered, and the list appears only for a user with
        # several authenticator apps.
        app_devices = [
            d for d in devices_for_user(user, confirmed=True) if not isinstance(d, StaticDevice)
        ]
        if len(app_devices) > 1:
            self.fields["otp_device"].widget.choices = [("", _("Choose…"))] + [
                (d.persistent_id, d.name) for d in app_devices
            ]


class CancerfaxAdminSite(OTPAdminSite):
    """`OTPAdminSite` refuses a session that a TOTP or backup code has not verified: such a
    user is treated as not staff, so every admin URL redirects to the sign-in page."""

    site_header = _("CancerFax navigator")
    site_title = _("CancerFax navigator admin")
    index_title = _("Coordination and content")
    login_form = OneStepSignInForm
    login_template = "admin/login.html"

    def __init__(self, name: str = "admin") -> None:
        # Keep the "admin" namespace: `reverse("admin:...")` works everywhere as before.
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # Per-address ceiling on sign-in attempts, before any account is looked up, so the
        # answer cannot tell known from unknown accounts. django-axes locks the
        # username + address pair on top of this.
        if request.method == "POST" and rate_limited(
            request,
            scope="admin-login",
            limit=settings.ADMIN_LOGIN_RATE_LIMIT,
            period=60,
        ):
            return TemplateResponse(
                request, "admin/login_limited.html", self.each_context(request), status=429
            )
        return super().login(request, extra_context)

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        """The admin's autocomplete answers a search with matching rows; each answer is
        announced (`autocomplete_answered`) so that what it revealed can be audited."""
        response = super().autocomplete_view(request)
        offered = _autocomplete_offered(request)
        if response.status_code != 200 or offered is None:
            return response
        model, to_field = offered
        ids = [row["id"] for row in json.loads(response.content).get("results", [])]
        autocomplete_answered.send(
            sender=type(self), request=request, model=model, to_field=to_field, ids=ids
        )
        return response


def _autocomplete_offered(request: HttpRequest) -> tuple[type[Model], str] | None:
    """(the model whose rows the autocomplete offers, the field its ids are values of), or
    None when the request names no related field."""
    try:
        source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        field = source._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist):
        return None
    remote = getattr(field.remote_field, "model", None)
    if remote is None:
        return None
    return remote, getattr(field.remote_field, "field_name", None) or "pk"
