"""Sessions that know their user, so signing a person out everywhere is one indexed DELETE."""

from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    """Django's database session plus the signed-in user's id.

    The stock session table keeps the user inside the encoded blob, so ending one user's
    sessions would mean decoding every row. `user_id` is filled on each save from the
    session data (`cancerfax.session_store`). It is not a foreign key: a session must never
    block deleting a user, and a stale id matches no one.
    """

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        from cancerfax.session_store import SessionStore

        return SessionStore


class Heartbeat(models.Model):
    """The last sign of life of a background component: the worker, beat, the reconciler.

    In the database rather than in Redis, so a broker outage shows as a stale worker
    instead of hiding the evidence with it.
    """

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
