"""Broker faults: Redis stopped during a burst, Redis back without its data, and a no-JS
upload of 25 files while Redis is down. The worker is never restarted by hand; the
reconciler (what beat runs every minute) and the worker's own reconnect bring everything
back: every acknowledged submission ends with exactly one review and one coordinator email.
"""

import time

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from navigation.services.reconcile import reviews_reconcile
from records.models import Document
from tests.drills import ledger
from tests.drills.processes import DrillRedis, free_port, scratch_directory, start_worker
from tests.navigation.test_intake import valid_answers
from tests.records.files import pdf_bytes

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

BURST, OUTAGE_SECONDS = 50, 20.0


@pytest.fixture(autouse=True)
def _drill_settings(settings):
    settings.SUBMIT_RATE_LIMIT = 1000  # one test client is the whole burst
    settings.BROKER_FAILURE_PAUSE = 0  # try the broker again as soon as it is back


def _submit(n: int, files: list | None = None) -> tuple[str, float]:
    """One patient's submission; returns the reference they were shown, and the time."""
    started = time.monotonic()
    answers = valid_answers(email=f"burst{n}@example.org")
    if files:
        answers["files_pathology"] = files
    response = Client().post("/submit/", answers, follow=True)
    assert response.status_code == 200, response.content[:2000]
    reference = ledger.REFERENCE.search(response.content)
    assert reference, response.content[:2000]
    return reference[1].decode(), time.monotonic() - started


def _reconcile_until_done(expected: int, worker, timeout: float = 60) -> float:
    """Run the reconciler (grace 2 s) until every case is reviewed; the seconds it took."""
    from navigation.models import ReviewTask

    started = time.monotonic()
    deadline = started + timeout
    while ReviewTask.objects.filter(notified_at__isnull=False).count() < expected:
        assert time.monotonic() < deadline, worker.output()[-3000:]
        reviews_reconcile(grace=_seconds(2))
        time.sleep(1.0)
    return time.monotonic() - started


def distinct_pdf(i: int) -> bytes:
    return pdf_bytes(f"Report {i}: adenocarcinoma, intestinal type.")


def _seconds(n: float):
    from datetime import timedelta

    return timedelta(seconds=n)


def test_redis_stopped_for_20_seconds_during_a_burst_of_50_loses_and_duplicates_nothing(
    drill_redis, drill_database, coordinator, drill_scratch
):
    worker = start_worker(
        name="steady",
        broker_url=drill_redis.url,
        database=drill_database,
        log=drill_scratch / "worker.log",
    )
    acknowledged: list[str] = []
    try:
        before = BURST // 4
        for n in range(before):
            acknowledged.append(_submit(n)[0])
        drill_redis.kill()
        outage_started = time.monotonic()
        during = 0
        while time.monotonic() - outage_started < OUTAGE_SECONDS:
            reference, seconds = _submit(before + during)
            acknowledged.append(reference)
            assert seconds < 5.0  # the patient does not wait on a dead broker
            during += 1
            time.sleep(0.5)
        drill_redis.start()
        restarted = time.monotonic()
        for n in range(before + during, BURST):
            acknowledged.append(_submit(n)[0])
        assert len(acknowledged) == BURST
        _reconcile_until_done(BURST, worker)
        recovery = time.monotonic() - restarted
        time.sleep(1.0)  # a duplicate delivery, if there were one, shows itself
        assert worker.process.poll() is None, "the worker stopped"
    finally:
        worker.stop()
    result = ledger.tally_orm(
        acknowledged=acknowledged,
        emails=ledger.emails_in(worker.output(), *(m.message().as_string() for m in mail.outbox)),
    )
    ledger.record("redis stopped 20 s during a burst of 50", result, recovery)
    result.assert_nothing_lost_or_duplicated()


def test_redis_restarted_without_its_data_loses_no_queued_review(
    drill_database, coordinator, drill_scratch, settings
):
    from celery import current_app

    scratch = scratch_directory("redis-volatile")
    redis = DrillRedis(port=free_port(), directory=scratch, persistent=False)
    redis.start()
    settings.CELERY_BROKER_URL = redis.url
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    worker = None
    try:
        # No worker yet: the ten reviews wait in Redis, which the broker then loses.
        acknowledged = [_submit(n)[0] for n in range(10)]
        import redis as redis_client

        queued = redis_client.Redis.from_url(redis.url).llen("celery")
        assert queued == 10
        redis.kill()
        redis.start()
        assert redis_client.Redis.from_url(redis.url).llen("celery") == 0
        restarted = time.monotonic()
        worker = start_worker(
            name="fresh",
            broker_url=redis.url,
            database=drill_database,
            log=drill_scratch / "worker.log",
        )
        _reconcile_until_done(10, worker)
        recovery = time.monotonic() - restarted
        time.sleep(1.0)
    finally:
        if worker:
            worker.stop()
        current_app.conf.task_always_eager = eager
        redis.kill()
    result = ledger.tally_orm(
        acknowledged=acknowledged,
        emails=ledger.emails_in(worker.output(), *(m.message().as_string() for m in mail.outbox)),
    )
    ledger.record("redis restarted without its data, 10 queued", result, recovery)
    result.assert_nothing_lost_or_duplicated()


def test_with_redis_down_a_no_js_submission_of_25_files_completes_quickly_with_its_reference(
    drill_redis, drill_database, coordinator, drill_scratch, settings
):
    # Redis is both broker and cache in production: both are down.
    dead = drill_redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead.replace("/0", "/1"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    drill_redis.kill()
    files = [
        SimpleUploadedFile(f"report-{i}.pdf", distinct_pdf(i), content_type="application/pdf")
        for i in range(25)
    ]
    reference, seconds = _submit(0, files)
    assert seconds < 10.0, seconds
    assert Document.objects.filter(patient__case__reference=reference).count() == 25
    # The scans and the review wait in the database: back on, the reconciler and the
    # periodic rescan hand them over.
    drill_redis.start()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    worker = start_worker(
        name="after",
        broker_url=drill_redis.url,
        database=drill_database,
        log=drill_scratch / "worker.log",
    )
    try:
        _reconcile_until_done(1, worker)
    finally:
        worker.stop()
    result = ledger.tally_orm(
        acknowledged=[reference],
        emails=ledger.emails_in(worker.output(), *(m.message().as_string() for m in mail.outbox)),
    )
    ledger.record(f"redis down: 25-file no-JS submission in {seconds:.1f} s", result, None)
    result.assert_nothing_lost_or_duplicated()
