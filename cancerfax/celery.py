import os

from celery import Celery

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
