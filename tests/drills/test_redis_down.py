"""Stop Redis in the middle of a burst of submissions, start it again: every submission is
saved, and every case gets its review task exactly once (the outbox and its sweeper)."""

import time

import pytest
from django.test import Client

from navigation.models import Case, CaseEvent, Outbox, ReviewTask
from navigation.services import outbox_sweep
from records.models import Patient
from tests.conftest import wait_for
from tests.drills.processes import start_worker
from tests.navigation.test_intake import valid_answers

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

BEFORE, DURING, AFTER = 4, 10, 4


def _submit(n: int) -> float:
    started = time.monotonic()
    response = Client().post("/submit/", valid_answers(email=f"burst{n}@example.org"))
    assert response.status_code == 302, response.content[:3000]
    assert response["Location"] == "/submit/received/"
    return time.monotonic() - started


def test_a_broker_outage_during_a_burst_loses_and_duplicates_nothing(
    drill_redis, drill_database, coordinator, drill_scratch, settings
):
    settings.SUBMIT_RATE_LIMIT = 1000  # one test client is the whole burst
    settings.BROKER_FAILURE_PAUSE = 0  # try the broker again as soon as it is back
    worker = start_worker(
        name="steady",
        broker_url=drill_redis.url,
        database=drill_database,
        log=drill_scratch / "worker.log",
    )
    try:
        for n in range(BEFORE):
            _submit(n)

        drill_redis.kill()
        slowest = max(_submit(n) for n in range(BEFORE, BEFORE + DURING))
        # The patient is not kept waiting on a dead broker, and nothing is lost.
        assert slowest < 5.0
        assert Patient.objects.count() == Case.objects.count() == BEFORE + DURING
        assert Outbox.objects.filter(sent_at__isnull=True).count() >= DURING

        drill_redis.start()
        for n in range(BEFORE + DURING, BEFORE + DURING + AFTER):
            _submit(n)
        # What beat runs every minute: re-send what the broker never took.
        outbox_sweep()

        total = BEFORE + DURING + AFTER
        wait_for(
            lambda: ReviewTask.objects.filter(notified_at__isnull=False).count() == total,
            timeout=60,
            interval=0.25,
        )
        # Give a duplicate delivery, if there were one, the time to show itself.
        time.sleep(1.0)
    finally:
        worker.stop()

    assert Case.objects.count() == total
    assert Outbox.objects.filter(sent_at__isnull=True).count() == 0
    for case in Case.objects.all():
        assert ReviewTask.objects.filter(case=case).count() == 1
        assert (
            CaseEvent.objects.filter(case=case, note__contains="Review task created").count() == 1
        )
    log = worker.output()
    assert log.count("Subject: New case to review:") == total, log[-3000:]
