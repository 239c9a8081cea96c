from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CancerfaxConfig(AppConfig):
    """The project package as an app: the session index and the security wiring."""

    name = "cancerfax"
    verbose_name = "Site security"
    default = True

    def ready(self) -> None:
        from cancerfax import security  # noqa: F401  (connects the signal receivers)


class OTPAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with our two-factor site as `admin.site`."""

    default = False
    default_site = "cancerfax.admin_site.CancerfaxAdminSite"
