"""No patient data in logs: a patient with unmistakable values goes through submission,
review by a live worker, the coordinator's case page, downloads, the portal and an erasure
request; neither the web side's logs (at DEBUG) nor the worker's log file mention them."""

import logging

import pytest

from navigation.models import ReviewTask
from tests.conftest import wait_for
from tests.drills.processes import start_worker
from tests.security import canary

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]


def test_a_full_journey_leaves_no_patient_data_in_any_log(
    drill_redis,
    drill_database,
    coordinator,
    drill_scratch,
    caplog,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    worker = start_worker(
        name="watched",
        broker_url=drill_redis.url,
        database=drill_database,
        log=drill_scratch / "worker.log",
        loglevel="DEBUG",
    )
    try:

        def reviewed(case) -> None:
            wait_for(
                lambda: ReviewTask.objects.filter(case=case, notified_at__isnull=False).exists(),
                timeout=60,
                interval=0.25,
            )

        case = canary.journey(coordinator, django_capture_on_commit_callbacks, reviewed)
    finally:
        worker.stop()

    worker_log = worker.output()
    assert f"New case to review: {case.reference}" in worker_log  # the worker did the review
    assert "navigation.open_case_review" in worker_log
    web_log = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert caplog.records  # the web side did log things; none of them about the patient
    for value in canary.VALUES:
        assert value not in web_log, f"{value!r} in the web logs"
        assert value not in worker_log, f"{value!r} in the worker's log"
