from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"

    def ready(self) -> None:
        from records import checks  # noqa: F401 - registers the deploy checks
