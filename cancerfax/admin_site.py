"""The admin site: every page needs a password AND a verified second factor.

`cancerfax.apps.OTPAdminConfig` replaces "django.contrib.admin" in INSTALLED_APPS and makes
`CancerfaxAdminSite` the default site, so every `admin.site.register(...)` and
`@admin.register(...)` in the apps lands on the two-factor site with no change to them.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from cancerfax.security import rate_limited


class CancerfaxAdminSite(OTPAdminSite):
    """`OTPAdminSite` refuses a session that a TOTP or backup code has not verified: such a
    user is treated as not staff, so every admin URL redirects to the sign-in page."""

    site_header = _("CancerFax navigator")
    site_title = _("CancerFax navigator admin")
    index_title = _("Coordination and content")

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
