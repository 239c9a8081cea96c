"""Sessions that know their user, so signing a person out everywhere is one indexed DELETE;
and the background components' heartbeats."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    """Django's database session plus the signed-in user's id.

    The stock session table keeps the user inside the encoded blob, so ending one user's
    sessions would mean decoding every row. `user_id` is filled on each save from the
    session data (`SessionStore` below). It is not a foreign key: a session must never
    block deleting a user, and a stale id matches no one.
    """

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls) -> type["SessionStore"]:
        return SessionStore


def _user_id(data: dict) -> int | None:
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


class SessionStore(DBStore):
    """The session engine's store (SESSION_ENGINE = "cancerfax.session_store"), beside its
    model: each names the other, so they live in one module."""

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = _user_id(data)
        return instance

    async def acreate_model_instance(self, data):
        instance = await super().acreate_model_instance(data)
        instance.user_id = _user_id(data)
        return instance


class Heartbeat(models.Model):
    """The last sign of life of a background component: the worker, beat, the reconciler.

    In the database rather than in Redis, so a broker outage shows as a stale worker
    instead of hiding the evidence with it.
    """

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
