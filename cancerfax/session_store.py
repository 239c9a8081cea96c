"""The session engine (SESSION_ENGINE = "cancerfax.session_store"): database sessions
indexed by user. The store lives beside its model in cancerfax/models.py."""

from cancerfax.models import SessionStore

__all__ = ["SessionStore"]
