"""Two web instances and two workers on one PostgreSQL, Redis and storage (as
`docker-compose up --scale web=2 --scale worker=2`): nothing is reviewed twice or lost, and
sessions and published content are the same on both instances. `make bench` runs the same
drill with 200 submissions (bench/scale.py)."""

import os
import shutil
import signal
import subprocess
import sys
from importlib import import_module

import pytest
from django.apps import apps

from tests.drills import ledger, scale_out
from tests.drills.processes import ROOT, free_port, start_worker, wait_port

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

SUBMISSIONS = 20


def _web(env: dict, port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cancerfax.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "90",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def two_of_each(drill_database, drill_redis, drill_scratch, settings):
    """Two gunicorn instances and two workers, all on this test's database and one Redis."""
    # The page the drill edits, as its data migration loads it (the tables are emptied
    # between transactional tests).
    import_module("content.migrations.0002_seed_cik_gastric_cancer").load(apps, None)
    shared = {
        "DATABASE_URL": drill_database,
        "CELERY_BROKER_URL": drill_redis.url,
        # One cache for all: the content version, rate limits, sign-in mail intervals.
        "REDIS_URL": drill_redis.url.rsplit("/", 1)[0] + "/1",
        "PRIVATE_STORAGE_ROOT": str(drill_scratch / "private"),
        "EMAIL_BACKEND": "console",
        "COORDINATOR_EMAILS": "coordinators@example.org",
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    # One client address sends every patient's form here; the limit is for one patient.
    env.update(shared, DEBUG="0", SUBMIT_RATE_LIMIT="1000")
    webs, bases = [], []
    workers = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = (drill_scratch / f"web-{name}.log").open("ab")
            webs.append(_web(env, port, log))
            bases.append(f"http://127.0.0.1:{port}")
            workers.append(
                start_worker(
                    name=f"scale-{name}",
                    broker_url=drill_redis.url,
                    database=drill_database,
                    log=drill_scratch / f"worker-{name}.log",
                    extra_env=shared,
                )
            )
        for base in bases:
            wait_port(int(base.rsplit(":", 1)[1]), timeout=60)
        yield bases, [worker.log for worker in workers]
    finally:
        for web in webs:
            if web.poll() is None:
                os.killpg(web.pid, signal.SIGTERM)
                web.wait(timeout=30)
        for worker in workers:
            worker.stop()
        shutil.rmtree(drill_scratch / "private", ignore_errors=True)


def test_two_web_instances_and_two_workers_review_each_case_once_and_share_state(two_of_each):
    bases, worker_logs = two_of_each
    result = scale_out.run(
        bases=bases, worker_logs=worker_logs, submissions=SUBMISSIONS, concurrency=4
    )
    ledger.DRILL_FIGURES["scale-out, 2 web + 2 workers"] = result.summary()

    logs = sorted(worker_logs[0].parent.glob("*.log"))
    assert result.problems == [], {log.name: log.read_text()[-2500:] for log in logs}
    assert result.acknowledged_per_instance == [SUBMISSIONS // 2, SUBMISSIONS // 2]
    assert result.tally.stored == result.review_tasks == SUBMISSIONS
    result.tally.assert_nothing_lost_or_duplicated()
    assert result.staff_session_on_other and result.portal_session_on_other
    assert result.edit_visible_on == [True, True]
