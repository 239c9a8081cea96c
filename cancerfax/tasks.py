"""Site-wide tasks: the worker's signs of life and periodic housekeeping."""

import socket

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.utils.module_loading import import_string

from cancerfax.tasking import heartbeat as heartbeat_stamp


@shared_task(name="cancerfax.worker_heartbeat", ignore_result=True)
def worker_heartbeat(token: str) -> None:
    """Leave a mark in the shared cache: proof that a live worker took a task off the broker."""
    cache.set(f"worker-heartbeat:{token}", socket.gethostname(), timeout=300)


@shared_task(name="cancerfax.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by beat, run by a worker: the worker's heartbeat proves the whole path from beat
    through the broker to a worker that consumes."""
    heartbeat_stamp("worker")


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    heartbeat_stamp("worker")


@shared_task(name="cancerfax.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """What `manage.py clearsessions` does: expired session rows still hold what was put in
    them (a patient's address, a case reference) until they are deleted."""
    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    store.clear_expired()
