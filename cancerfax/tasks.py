"""Site-wide periodic work."""

from celery import shared_task


@shared_task(name="cancerfax.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """What `manage.py clearsessions` does: expired session rows still hold what was put in
    them (a patient's address, a case reference) until they are deleted."""
    from django.conf import settings
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    store.clear_expired()
