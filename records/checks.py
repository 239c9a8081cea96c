"""Deploy checks for records (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def document_encryption_on(app_configs, **kwargs) -> list[Warning]:
    if settings.DOCUMENT_ENCRYPTION:
        return []
    return [
        Warning(
            "DOCUMENT_ENCRYPTION is off: new documents are stored unencrypted.",
            hint="Unset DOCUMENT_ENCRYPTION (it is on by default); it is off only to measure.",
            id="records.W001",
        )
    ]
