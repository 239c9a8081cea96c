"""One canonical form for every patient email address, stored at intake and matched exactly.

The portal finds a patient's cases by their address, so two addresses that reach different
mailboxes must never compare equal. Case-insensitive matching is not safe for that: SQL
`UPPER('ı')` is `'I'` on PostgreSQL and Python's `'K'.lower()` (Kelvin sign) is `'k'`, so a
look-alike address on a domain anyone can register would find someone else's case.

The canonical form: the domain IDNA-encoded (IDNA 2008 with the UTS #46 mapping, so
`ｃｌｉｎｉｃ.org` is the same DNS name as `clinic.org` but `clınic.org` and `straße.de` are
not), and the part before the @ plain ASCII, lower-cased. Addresses whose part before the @
is not ASCII are refused with a clear message rather than guessed at.
"""

import idna
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

NON_ASCII_LOCAL_PART = _(
    "Please use an address whose part before the @ has only unaccented Latin letters (a–z), "
    "digits and . _ + - characters. We cannot send sign-in links to other addresses."
)
BAD_DOMAIN = _("The part after the @ is not a valid domain name. Please check it.")


def email_canonical(value: str) -> str:
    """The canonical form of an address; ValidationError if it has none."""
    local, sep, domain = value.strip().rpartition("@")
    if not sep or not local or not domain:
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    if not local.isascii():
        raise ValidationError(NON_ASCII_LOCAL_PART, code="non_ascii_local_part")
    try:
        ascii_domain = idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(BAD_DOMAIN, code="bad_domain") from None
    return f"{local.lower()}@{ascii_domain.lower()}"


def email_canonical_or_none(value: str) -> str | None:
    try:
        return email_canonical(value)
    except ValidationError:
        return None


class CanonicalEmailFormField(forms.EmailField):
    """An email field whose cleaned value is the canonical form."""

    def validate(self, value) -> None:
        # Before Django's own validator, whose message would not say what is wrong.
        super().validate(value)
        if value and not value.rpartition("@")[0].isascii():
            raise ValidationError(NON_ASCII_LOCAL_PART, code="non_ascii_local_part")

    def clean(self, value):
        value = super().clean(value)
        return email_canonical(value) if value else value


class CanonicalEmailField(models.EmailField):
    """A model email field every ModelForm (intake, admin) fills with the canonical form."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CanonicalEmailFormField, **kwargs})
