"""/readyz/worker: the orchestrator learns when the worker, beat or reconciler stopped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancerfax.models import Heartbeat
from cancerfax.tasking import HeartbeatScheduler, heartbeat
from cancerfax.tasks import heartbeat as heartbeat_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_broker(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"


def _all_fresh() -> None:
    for name in ("worker", "beat", "reconciler"):
        heartbeat(name)


def test_it_is_ready_when_every_component_beat_recently(client, with_broker):
    _all_fresh()
    response = client.get("/readyz/worker")
    assert response.status_code == 200
    assert response.json()["checks"] == {"worker": "ok", "beat": "ok", "reconciler": "ok"}


def test_it_names_the_stale_component(client, with_broker, settings):
    _all_fresh()
    old = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    Heartbeat.objects.filter(name="worker").update(beat_at=old)
    response = client.get("/readyz/worker")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "stale"
    assert response.json()["checks"]["beat"] == "ok"


def test_a_component_never_seen_is_missing(client, with_broker):
    heartbeat("worker")
    response = client.get("/readyz/worker")
    assert response.status_code == 503
    assert response.json()["checks"]["reconciler"] == "missing"


def test_without_a_broker_tasks_run_in_process_and_there_is_nothing_to_watch(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/readyz/worker").status_code == 200


def test_the_heartbeat_task_and_the_beat_scheduler_stamp_their_rows(settings):
    heartbeat_task()
    scheduler = HeartbeatScheduler.__new__(HeartbeatScheduler)
    scheduler._last_beat = 0.0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("celery.beat.PersistentScheduler.tick", lambda self, *a, **k: 5.0)
        assert scheduler.tick() <= settings.HEARTBEAT_INTERVAL_SECONDS
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"worker", "beat"}


def test_the_worker_retries_broker_connections_forever_and_publishes_fail_fast(settings):
    from cancerfax.celery import app
    from cancerfax.tasking import PUBLISH_TRANSPORT_OPTIONS

    assert app.conf.broker_connection_max_retries is None
    assert app.conf.broker_connection_retry is True
    assert PUBLISH_TRANSPORT_OPTIONS["max_retries"] == 0


def test_a_killed_workers_task_comes_back_within_five_minutes_and_never_while_running(
    settings,
):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    redelivered_within = (
        options["visibility_timeout"]
        + options["unacked_restore_interval"] * (options["unacked_restore_throttle"])
    )
    assert redelivered_within <= 5 * 60
    assert options["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert options["visibility_timeout"] > settings.TASK_RETRY_BACKOFF_MAX


def test_a_task_allowed_to_outlive_the_visibility_timeout_is_acknowledged_on_receipt(settings):
    from cancerfax.celery import app

    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    long_running = [
        task
        for name, task in app.tasks.items()
        if not name.startswith("celery.") and (task.time_limit or 0) > visibility
    ]
    assert long_running  # the daily check of stored files
    assert all(task.acks_late is False for task in long_running)
