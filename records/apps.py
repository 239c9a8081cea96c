from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"

    def ready(self) -> None:
        from cancerfax.admin_site import autocomplete_answered
        from cancerfax.health import readiness_check_register
        from records import checks  # noqa: F401 - registers the deploy checks
        from records.admin.auditing import audit_autocomplete_answer
        from records.clamd import scanner_state

        autocomplete_answered.connect(audit_autocomplete_answer, dispatch_uid="records.audit")
        # "ok", "unavailable", or "absent (development)" when `make run` has no scanner.
        readiness_check_register("scanner", scanner_state)
