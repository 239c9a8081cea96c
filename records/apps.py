from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RecordsConfig(AppConfig):
    name = "records"

    def ready(self) -> None:
        from records import checks  # noqa: F401 - registers the deploy checks
        from records.roles import app_role_grant

        post_migrate.connect(app_role_grant, sender=self, dispatch_uid="records_app_role_grant")
