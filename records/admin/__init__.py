"""The records admin; importing the modules registers their pages."""

from records.admin import audit_events, documents, patients  # noqa: F401
