"""Measure 8: the scale drill, as `docker-compose up --scale web=2 --scale worker=2` runs.

Two more gunicorn instances (each its own master and 2 workers, on BENCH_WEB_PORT+1 and +2)
and two Celery workers (prefork, concurrency 2), all on the bench's one PostgreSQL, Redis
and private storage. BENCH_SCALE_SUBMISSIONS patients (200) send the intake form through
HTTP, alternately to each instance, eight at a time; then the drill of
`tests/drills/scale_out.py` counts: every case reviewed exactly once, sessions made on one
instance valid on the other, a published content edit served by both.

The instances allow one client address many submissions (SUBMIT_RATE_LIMIT): here every
patient comes from 127.0.0.1.
"""

from __future__ import annotations

import os

from bench.harness import WEB_PORT, Check

NAME = "8 scale drill"
SUBMISSIONS = int(os.environ.get("BENCH_SCALE_SUBMISSIONS", "200"))


def measure(stack) -> list[Check]:
    from tests.drills import scale_out

    env = {
        "SUBMIT_RATE_LIMIT": "100000",
        "COORDINATOR_EMAILS": "coordinators@example.org",
        "EMAIL_BACKEND": "console",
    }
    try:
        bases = [
            stack.start_web_instance(port=WEB_PORT + 1 + i, name=name, env=env)
            for i, name in enumerate(("a", "b"))
        ]
        logs = [stack.start_worker_instance(name=f"scale-{name}", env=env) for name in "ab"]
        result = scale_out.run(
            bases=bases,
            worker_logs=logs,
            submissions=SUBMISSIONS,
            prefix="bench-scale",
            concurrency=8,
        )
    finally:
        stack.stop_instances()
    tally = result.tally
    note = "; ".join(result.problems)
    return [
        Check(
            NAME,
            "cases reviewed exactly once",
            tally.reviewed,
            "==",
            SUBMISSIONS,
            unit="",
            figures=result.summary(),
            note=note,
        ),
        Check(NAME, "duplicated + lost", tally.duplicates + tally.lost, "==", 0, unit=""),
        Check(
            NAME,
            "sessions valid on the other instance (staff, portal)",
            result.staff_session_on_other + result.portal_session_on_other,
            "==",
            2,
            unit="",
        ),
        Check(
            NAME,
            "instances serving the published edit",
            sum(result.edit_visible_on),
            "==",
            len(result.edit_visible_on),
            unit="",
        ),
    ]
