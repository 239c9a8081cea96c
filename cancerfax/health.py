"""Liveness and readiness probes for the load balancer and the orchestrator.

`/readyz` checks what the site stands on (database, storage, broker) and every part an app
registers with `readiness_check_register` (records registers the virus scanner).
"""

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cancerfax.celery import app
from cancerfax.tasking import heartbeats_status

logger = logging.getLogger(__name__)

# What a registered check may answer and still leave the site ready: working, or a part
# that development runs without (`make run` has no scanner) and production refuses to
# start without.
READY_STATES = ("ok", "absent (development)")

_registered_checks: dict[str, Callable[[], str]] = {}


def readiness_check_register(name: str, check: Callable[[], str]) -> None:
    """Add `check` to /readyz under `name`: it answers a state, one of READY_STATES when the
    part is ready, anything else ("unavailable") when not; it must not raise."""
    _registered_checks[name] = check


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)


def _check_storage() -> None:
    storage = storages["private"]
    name = storage.save(f"readiness/{uuid.uuid4().hex}", ContentFile(b"ok"))
    storage.delete(name)


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database, "storage": _check_storage}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _check_broker
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the kind is enough
            logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = "unavailable"
        finally:
            if name == "database" and results.get(name) != "ok":
                connection.close_if_unusable_or_obsolete()
    for name, state in _registered_checks.items():
        results[name] = state()
    ready = all(value in READY_STATES for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )


@require_GET
@never_cache
def readyz_worker(request: HttpRequest) -> JsonResponse:
    """For the orchestrator: are the worker, beat and the reconciler alive? 503 names the
    stale one. Without a broker, tasks run inside the web process: nothing to watch."""
    if not settings.CELERY_BROKER_URL:
        return JsonResponse({"status": "ok", "checks": {"worker": "in-process"}})
    try:
        results = heartbeats_status()
    except Exception as exc:  # the heartbeats live in the database
        logger.warning("worker readiness unknown: %s", type(exc).__name__)
        connection.close_if_unusable_or_obsolete()
        results = {"database": "unavailable"}
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
