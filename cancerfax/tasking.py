"""How work reaches the worker and how the worker keeps going: one place for both.

- `enqueue`: every hand-off from a web request goes through it. It fails fast (one attempt,
  short socket timeouts, a pause after a failure) and never raises: the caller's work is
  already recorded in the database, and a reconciler or a periodic rescan sends it later.
- `ResilientTask`: the base of our Celery tasks. A database, broker, storage or mail outage
  is retried with bounded exponential backoff and jitter, then reported once as an alert
  (task name and id only, never arguments or patient data). Tasks are idempotent, so a
  retry that overlaps a redelivery is harmless.
- Heartbeats: the worker, beat and the reconciler each stamp a `Heartbeat` row; the
  orchestrator's `/readyz/worker` reports a stale one (`cancerfax.health`).
"""

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from celery import Task
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError
from kombu.pools import producers

from cancerfax.celery import app
from cancerfax.models import Heartbeat

logger = logging.getLogger(__name__)
alerts = logging.getLogger("cancerfax.alerts")

# Failures of what a task stands on, not of its own logic: worth waiting out. OSError
# covers storage, sockets (clamd, SMTP) and redis-py's connection errors' bases.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    BrokerError,
    ConnectionError,
    TimeoutError,
    OSError,
)
try:  # redis-py's errors do not derive from OSError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    INFRASTRUCTURE_ERRORS += (RedisConnectionError, RedisTimeoutError)
except ImportError:  # pragma: no cover - redis is a requirement
    pass


class ResilientTask(Task):
    """Retry on infrastructure errors: 1, 2, 4 … up to RETRY_BACKOFF_MAX seconds (with full
    jitter), TASK_MAX_RETRIES times, then alert. The backoff stays well below the broker's
    visibility timeout, so a task waiting for its retry is never redelivered meanwhile."""

    autoretry_for = INFRASTRUCTURE_ERRORS
    retry_backoff = True
    retry_jitter = True
    acks_late = True

    @property
    def retry_backoff_max(self) -> int:  # type: ignore[override]
        return settings.TASK_RETRY_BACKOFF_MAX

    @property
    def max_retries(self) -> int:  # type: ignore[override]
        return settings.TASK_MAX_RETRIES

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        if isinstance(exc, INFRASTRUCTURE_ERRORS):
            # Arguments stay out of the line: a primary key is harmless, but the rule is
            # simpler when nothing of a task's input is ever logged.
            alerts.error(
                "task %s (%s) gave up after %s retries: %s; the reconciler or the periodic "
                "rescan will pick its work up again",
                self.name,
                task_id,
                self.request.retries,
                type(exc).__name__,
            )
        super().on_failure(exc, task_id, args, kwargs, einfo)


# --- publishing from web requests -------------------------------------------------------

# A publisher's broker connection: no reconnect retries and short socket timeouts.
PUBLISH_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 1, "socket_timeout": 1}
# How long a publish waits for a free producer when every pooled one is busy.
PUBLISH_TIMEOUT = 1.0
# The pools' keys, one per broker address: never connected themselves, kept so that a
# publish does not parse the address again.
_publisher_connections: dict[str, Connection] = {}
# After a failed publish, this process skips the broker for a few seconds: a request that
# hands off 25 files must not try a dead broker 25 times.
_broker_down_until: dict[str, float] = {}
_lock = threading.Lock()


class BrokerUnavailable(Exception):
    """The broker did not take the task (down, hung, or recently found down)."""


def publish(task_name: str, args: Sequence[object]) -> None:
    """Hand the task registered as `task_name` (e.g. "records.tasks.scan_document") to the
    broker once, fast; raise BrokerUnavailable if it is not taken. Eager mode (no broker
    configured) runs the task here.

    Callers name the task rather than import it, so services never import `tasks` (which
    import services): the dependency runs one way, tasks -> services -> this module."""
    if task_name not in app.tasks:
        # Outside a worker, the apps' tasks modules are imported on first use.
        app.loader.import_default_modules()
    task = app.tasks[task_name]
    if task.app.conf.task_always_eager:
        task.apply_async(args=tuple(args))
        return
    url = settings.CELERY_BROKER_URL or ""
    if _broker_down_until.get(url, 0.0) > time.monotonic():
        raise BrokerUnavailable("broker recently unreachable")
    # Producers and their connections are pooled per broker address (read from settings at
    # call time), so a publish is one LPUSH on an open connection rather than a connect and
    # a declare each time.
    if (connection := _publisher_connections.get(url)) is None:
        with _lock:
            connection = _publisher_connections.setdefault(
                url,
                task.app.connection_for_write(
                    url or None, transport_options=PUBLISH_TRANSPORT_OPTIONS
                ),
            )
    try:
        with producers[connection].acquire(block=True, timeout=PUBLISH_TIMEOUT) as producer:
            task.apply_async(args=tuple(args), producer=producer, retry=False)
    except Exception as exc:
        _broker_down_until[url] = time.monotonic() + settings.BROKER_FAILURE_PAUSE
        raise BrokerUnavailable(type(exc).__name__) from exc
    _broker_down_until.pop(url, None)


def enqueue(task_name: str, *args, what: str) -> bool:
    """`publish`, for callers that have recorded their work elsewhere: never raises.

    `what` names the work for the log line by keys only ("scan of document 12")."""
    try:
        publish(task_name, args)
    except Exception as exc:  # noqa: BLE001 - broker down: the work waits in the database
        logger.warning("%s not queued (%s); it is picked up later", what, exc)
        return False
    return True


# --- heartbeats -------------------------------------------------------------------------


def heartbeat(name: str, *, now: datetime | None = None) -> None:
    """Stamp this component's heartbeat. Never raises: a component that cannot reach the
    database shows up as stale, which is the truth."""
    try:
        Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now or timezone.now()})
    except DatabaseError as exc:
        logger.warning("heartbeat %s not recorded: %s", name, type(exc).__name__)
        # A long-lived process (beat) reconnects on its next beat instead of reusing a
        # connection the database dropped.
        if not connection.in_atomic_block:
            connection.close()


def heartbeats_status(*, now: datetime | None = None) -> dict[str, str]:
    """Each component: "ok", "stale" (its last beat is too old) or "missing"."""
    now = now or timezone.now()
    limits = {
        "worker": settings.HEARTBEAT_STALE_SECONDS,
        "beat": settings.HEARTBEAT_STALE_SECONDS,
        "reconciler": 3 * settings.RECONCILE_INTERVAL_SECONDS,
    }
    seen = dict(Heartbeat.objects.filter(name__in=limits).values_list("name", "beat_at"))
    status = {}
    for name, limit in limits.items():
        at = seen.get(name)
        if at is None:
            status[name] = "missing"
        else:
            status[name] = "ok" if now - at <= timedelta(seconds=limit) else "stale"
    return status


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, stamping beat's heartbeat on its ticks (at most every
    HEARTBEAT_INTERVAL_SECONDS, and never more than that apart while beat lives)."""

    _last_beat = 0.0

    def tick(self, *args, **kwargs):
        interval = settings.HEARTBEAT_INTERVAL_SECONDS
        if time.monotonic() - self._last_beat >= interval:
            self._last_beat = time.monotonic()
            heartbeat("beat")
        return min(super().tick(*args, **kwargs), interval)
