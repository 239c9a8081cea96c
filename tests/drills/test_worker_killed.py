"""SIGKILL a Celery worker in the middle of a case review; a new worker finishes it, once."""

import time

import pytest

from navigation.models import Case, CaseEvent, Outbox, ReviewTask
from navigation.services.cases import case_open
from tests.conftest import wait_for
from tests.drills import ledger
from tests.drills.processes import start_worker
from tests.navigation.factories import make_patient

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]


def test_a_review_interrupted_by_sigkill_completes_exactly_once(
    drill_redis, drill_database, coordinator, drill_scratch, django_capture_on_commit_callbacks
):
    pause = drill_scratch / "paused"
    first = start_worker(
        name="doomed",
        broker_url=drill_redis.url,
        database=drill_database,
        log=drill_scratch / "worker-1.log",
        extra_env={"CFX_DRILL_PAUSE_FILE": str(pause), "CFX_DRILL_PAUSE_SECONDS": "120"},
    )
    try:
        patient = make_patient(email="drill.worker@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            case = case_open(patient=patient)
        assert Outbox.objects.get(case=case).sent_at is not None  # the broker took it

        # The worker is inside the task: review task committed, coordinators not yet told.
        wait_for(pause.exists, timeout=60)
        first.kill()
        killed = time.monotonic()
    finally:
        first.kill()
    task = ReviewTask.objects.get(case=case)
    assert task.notified_at is None
    # Redis gives an unacknowledged task back once it is older than the visibility timeout
    # (3 s for these workers; 180 s in production) and workers look for such tasks every
    # second (10 s in production) as well as at start.

    second = start_worker(
        name="rescuer",
        broker_url=drill_redis.url,
        database=drill_database,
        log=drill_scratch / "worker-2.log",
    )
    try:
        # Redis hands the unacknowledged task to the new worker after the visibility timeout.
        wait_for(
            lambda: ReviewTask.objects.filter(case=case, notified_at__isnull=False).exists(),
            timeout=60,
            interval=0.25,
        )
        recovery = time.monotonic() - killed
    finally:
        second.stop()

    result = ledger.tally_orm(
        acknowledged=[case.reference],
        emails=ledger.emails_in(first.output(), second.output()),
    )
    ledger.record("worker SIGKILLed mid-review", result, recovery)
    result.assert_nothing_lost_or_duplicated()
    assert recovery < 5 * 60
    assert ReviewTask.objects.filter(case=case).count() == 1
    created = CaseEvent.objects.filter(case=case, note__contains="Review task created")
    assert created.count() == 1
    assert Case.objects.get(pk=case.pk).prescreen_rule_set_version
    # One email to the coordinators (the console backend prints it to the worker's log):
    # from the second worker, none from the killed one.
    subject = f"Subject: New case to review: {case.reference}"
    assert subject not in first.output()
    assert second.output().count(subject) == 1, second.output()[-3000:]
