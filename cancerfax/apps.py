from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class CancerfaxConfig(AppConfig):
    """The project package as an app: the session index and the security wiring."""

    name = "cancerfax"
    verbose_name = "Site security"
    default = True

    def ready(self) -> None:
        from cancerfax import security  # noqa: F401  (connects the signal receivers)
        from cancerfax.roles import app_role_grant, sync_role_permissions

        # This app is listed after every app whose permissions the roles hand out, so by its
        # post_migrate every permission and table exists.
        post_migrate.connect(sync_role_permissions, sender=self, dispatch_uid="cancerfax.roles")
        post_migrate.connect(app_role_grant, sender=self, dispatch_uid="cancerfax.app_role")


class OTPAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with our two-factor site as `admin.site`."""

    default = False
    default_site = "cancerfax.admin_site.CancerfaxAdminSite"
