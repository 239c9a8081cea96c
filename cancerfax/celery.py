import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cancerfax.settings")

app = Celery("cancerfax")
# Every CELERY_* setting in cancerfax/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="cancerfax.worker_heartbeat", ignore_result=True)
def worker_heartbeat(token: str) -> None:
    """Leave a mark in the shared cache: proof that a live worker took a task off the broker."""
    import socket

    from django.core.cache import cache

    cache.set(f"worker-heartbeat:{token}", socket.gethostname(), timeout=300)


@app.task(name="cancerfax.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by beat, run by a worker: the worker's heartbeat proves the whole path from beat
    through the broker to a worker that consumes."""
    from cancerfax.tasking import heartbeat as stamp

    stamp("worker")


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    from cancerfax.tasking import heartbeat as stamp

    stamp("worker")
