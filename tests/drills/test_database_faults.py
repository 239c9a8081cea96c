"""PostgreSQL faults on a stack of real processes: gunicorn, a Celery worker, Redis and a
PostgreSQL cluster of the drill's own, so stopping the database touches nothing else.

0. PostgreSQL stops for a few seconds under requests: /readyz answers 503 fast, submissions
   are refused fast, nothing is half-written, and the site serves normally once it is back.
1. PostgreSQL stops with 20 review tasks queued and one in flight, and comes back 15 s later:
   the tasks retry, those that give up are found by the reconciler; every case is reviewed
   once and its coordinators are told once.
2. PostgreSQL stops at the moment a submission commits, while other patients keep sending
   theirs and retry until they are shown a reference: one case per patient, and every
   reference shown is the stored one.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from cancerfax.celery import app as celery_app
from tests.drills import ledger
from tests.drills.http import Browser
from tests.drills.processes import (
    ROOT,
    DrillPostgres,
    DrillRedis,
    free_port,
    scratch_directory,
    start_worker,
    wait_port,
)
from tests.navigation.test_intake import valid_answers

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

KEY = re.compile(rb'name="submission_key" value="([^"]+)"')


class Stack:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.pg = DrillPostgres(port=free_port(), directory=scratch / "pg")
        self.redis = DrillRedis(port=free_port(), directory=scratch / "redis")
        self.pause = scratch / "commit-paused"
        self.worker_pause = scratch / "review-paused"
        self.web: subprocess.Popen | None = None
        self.worker = None

    def start(self) -> None:
        # The worker's review pause is disarmed until the drill that needs it removes this.
        self.worker_pause.write_text("disarmed")
        self.pg.init()
        self.pg.start()
        self.url = self.pg.createdb("drill")
        self.redis.start()
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        env.update(
            DATABASE_URL=self.url,
            DATABASE_CONNECT_TIMEOUT="2",
            CELERY_BROKER_URL=self.redis.url,
            DEBUG="0",
            PRIVATE_STORAGE_ROOT=str(self.scratch / "private"),
            EMAIL_BACKEND="console",
            SUBMIT_RATE_LIMIT="1000",
            BROKER_FAILURE_PAUSE="0",
            CFX_DRILL_COMMIT_PAUSE_FILE=str(self.pause),
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tests.drills.drill_wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "--threads",
                "4",
                "--timeout",
                "90",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.worker = start_worker(
            name="db-drill",
            broker_url=self.redis.url,
            database=self.url,
            log=self.scratch / "worker.log",
            extra_env={
                "CFX_DRILL_PAUSE_FILE": str(self.worker_pause),
                "CFX_DRILL_PAUSE_SECONDS": "12",
                "DATABASE_CONNECT_TIMEOUT": "2",
                "RECONCILE_GRACE_SECONDS": "3",
                "COORDINATOR_EMAILS": "coordinators@example.org",
            },
        )
        wait_port(port, timeout=60)

    def stop(self) -> None:
        if self.web and self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            self.web.wait(timeout=30)
        if self.worker:
            self.worker.stop()
        self.redis.kill()
        self.pg.stop(mode="fast")

    def reconcile(self) -> None:
        """What beat sends every minute: the reconciler, run by the worker."""
        with celery_app.connection_for_write(self.redis.url) as connection:
            celery_app.send_task("navigation.reconcile_reviews", connection=connection)

    def query(self, sql: str, params: tuple | None = None) -> list[tuple]:
        with psycopg.connect(self.url, connect_timeout=3) as conn:
            return conn.execute(sql, params).fetchall()

    def tally(self, acknowledged: list[str], emails_like: str) -> ledger.Tally:
        """The counts for this drill's patients (their emails match `emails_like`)."""
        cases = dict(
            self.query(
                "SELECT c.reference, p.email FROM navigation_case c "
                "JOIN records_patient p ON p.id = c.patient_id WHERE p.email LIKE %s",
                (emails_like,),
            )
        )
        tasks = self.query(
            "SELECT c.reference, t.notified_at IS NOT NULL FROM navigation_reviewtask t "
            "JOIN navigation_case c ON c.id = t.case_id"
        )
        created = self.query(
            "SELECT c.reference FROM navigation_caseevent e JOIN navigation_case c "
            "ON c.id = e.case_id WHERE e.note LIKE '%Review task created%'"
        )
        return ledger.tally(
            acknowledged=acknowledged,
            cases=cases,
            reviews=Counter(ref for ref, _ in tasks if ref in cases),
            notified={ref for ref, told in tasks if told and ref in cases},
            created_events=Counter(ref for (ref,) in created if ref in cases),
            emails=Counter(
                {r: n for r, n in ledger.emails_in(self.worker.output()).items() if r in cases}
            ),
        )

    def reviewed(self, emails_like: str) -> int:
        return self.query(
            "SELECT count(*) FROM navigation_reviewtask t JOIN navigation_case c "
            "ON c.id = t.case_id JOIN records_patient p ON p.id = c.patient_id "
            "WHERE t.notified_at IS NOT NULL AND p.email LIKE %s",
            (emails_like,),
        )[0][0]

    def recover(self, emails_like: str, expected: int, timeout: float = 60) -> float:
        started = time.monotonic()
        while self.reviewed(emails_like) < expected:
            assert time.monotonic() - started < timeout, (
                self.query(
                    "SELECT c.id, c.status, c.created_at, t.id, t.created_at, t.notified_at, "
                    "t.done_at, now() FROM navigation_case c LEFT JOIN navigation_reviewtask t "
                    "ON t.case_id = c.id WHERE t.notified_at IS NULL"
                ),
                self.query(
                    "SELECT o.id, o.sent_at, o.done_at, o.claimed_until, o.attempts, now(), "
                    "EXISTS (SELECT 1 FROM navigation_reviewtask t WHERE t.case_id = o.case_id)"
                    " FROM navigation_outbox o WHERE o.done_at IS NULL"
                ),
                self.worker.output()[-6000:],
            )
            self.reconcile()
            time.sleep(2.0)
        return time.monotonic() - started


@pytest.fixture(scope="module")
def stack():
    scratch = scratch_directory("dbfaults")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    stack = Stack(scratch)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(scratch, ignore_errors=True)


class Patient:
    """One patient's browser: opens the form once, sends it until shown a reference."""

    def __init__(self, base: str, email: str) -> None:
        self.browser = Browser(base)
        page = self.browser.request("/submit/")
        assert page.status == 200, page.status
        self.data = valid_answers(email=email)
        self.data["csrfmiddlewaretoken"] = re.search(
            rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body
        )[1].decode()
        self.data["submission_key"] = KEY.search(page.body)[1].decode()
        self.shown: list[str] = []
        self.attempts = 0

    def send_once(self) -> str | None:
        self.attempts += 1
        answer = self.browser.request("/submit/", self.data, timeout=60)
        if answer.status == 302:
            answer = self.browser.request("/submit/received/")
        found = ledger.REFERENCE.search(answer.body) if answer.status == 200 else None
        if found:
            self.shown.append(found[1].decode())
            return self.shown[-1]
        assert answer.status in (503, 500, 502), (answer.status, answer.body[:500])
        return None

    def send_until_shown(self, deadline: float) -> str:
        while (reference := self.send_once()) is None:
            assert time.monotonic() < deadline, "never shown a reference"
            time.sleep(0.5)
        return reference


def test_a_database_outage_gives_fast_503s_no_partial_rows_and_recovers(stack):
    probe = Browser(stack.base)
    assert probe.request("/readyz").status == 200

    def opened(n: int) -> Patient:
        return Patient(stack.base, f"pgdrill{n}@example.org")

    saved = 0
    for n in range(3):
        assert opened(n).send_once()
        saved += 1
    # Forms opened before the outage and sent during it.
    pending = [opened(n) for n in range(3, 9)]

    stack.pg.stop(mode="immediate")  # as abrupt as a crash
    ready, sent = [], []
    outage_started = time.monotonic()
    while time.monotonic() - outage_started < 4.0:
        ready.append(probe.request("/readyz"))
        if len(sent) < len(pending):
            patient = pending[len(sent)]
            answer = patient.browser.request("/submit/", patient.data)
            sent.append(answer)
    stack.pg.start()

    assert ready and all(a.status == 503 for a in ready), [a.status for a in ready]
    assert max(a.seconds for a in ready) < 3.0
    assert b'"database": "unavailable"' in ready[0].body
    # A submission during the outage is refused quickly; none claims success.
    assert sent and all(a.status >= 500 for a in sent), [a.status for a in sent]
    assert max(a.seconds for a in sent) < 5.0

    deadline = time.monotonic() + 20
    while probe.request("/readyz").status != 200:
        assert time.monotonic() < deadline, "the site did not recover"
        time.sleep(0.2)
    for n in range(9, 12):
        assert opened(n).send_once()
        saved += 1
    # The forms whose first send failed can simply be sent again.
    for patient in pending:
        assert patient.send_until_shown(time.monotonic() + 20)
        saved += 1

    def count(table: str, link: str) -> int:
        return stack.query(
            f"SELECT count(*) FROM {table} x JOIN records_patient p ON p.id = x.{link} "  # noqa: S608
            "WHERE p.email LIKE 'pgdrill%%'"
        )[0][0]

    assert count("records_patient", "id") == saved
    assert count("navigation_case", "patient_id") == saved
    assert count("records_clinicalprofile", "patient_id") == saved
    assert count("records_consent", "patient_id") == saved
    assert (
        stack.query(
            "SELECT count(*) FROM navigation_outbox o JOIN navigation_case c ON c.id = o.case_id "
            "JOIN records_patient p ON p.id = c.patient_id WHERE p.email LIKE 'pgdrill%%'"
        )[0][0]
        == saved
    )


def test_postgres_stopped_with_20_reviews_queued_and_one_in_flight_loses_none(stack):
    stack.worker_pause.unlink()  # the next review pauses in flight
    patients = [Patient(stack.base, f"queued{n}@example.org") for n in range(21)]
    acknowledged = [p.send_until_shown(time.monotonic() + 60) for p in patients]
    # The first review is in flight (paused after its task row, before the email); the
    # other twenty wait in Redis behind it.
    deadline = time.monotonic() + 60
    while not stack.worker_pause.exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    queued = stack.reviewed("queued%")
    stack.pg.stop(mode="immediate")
    time.sleep(15)
    stack.pg.start()
    recovery = stack.recover("queued%", 21)
    time.sleep(2)  # a duplicate, if there were one, shows itself
    result = stack.tally(acknowledged, "queued%")
    ledger.record(
        f"postgres stopped 15 s, 20 queued + 1 in flight ({queued} reviewed before)",
        result,
        recovery,
    )
    result.assert_nothing_lost_or_duplicated()


def test_postgres_stopped_at_commit_with_patients_retrying_stores_one_case_each(stack):
    at_commit = Patient(stack.base, "commit-stop@example.org")
    others = [Patient(stack.base, f"commit-retrying{n}@example.org") for n in range(6)]
    shown: dict[str, str] = {}

    def first_send() -> None:
        shown["commit"] = at_commit.send_once()

    sender = threading.Thread(target=first_send)
    sender.start()
    deadline = time.monotonic() + 60
    while not stack.pause.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Its transaction has committed; the database goes before the session is saved.
    stack.pg.stop(mode="immediate")
    Path(str(stack.pause) + ".resume").write_text("go")
    sender.join(timeout=60)
    # Everyone else sends during the outage and retries, as a patient would.
    threads = [
        threading.Thread(target=p.send_until_shown, args=(time.monotonic() + 90,)) for p in others
    ]
    for thread in threads:
        thread.start()
    time.sleep(8)
    stack.pg.start()
    restarted = time.monotonic()
    for thread in threads:
        thread.join(timeout=120)
    # The patient who was shown a reference sends the same form again: the same case.
    at_commit.send_until_shown(time.monotonic() + 30)
    stack.recover("commit-%", 7)
    recovery = time.monotonic() - restarted

    assert shown["commit"] == stack.pause.read_text()
    assert len(set(at_commit.shown)) == 1
    for patient in others:
        assert len(set(patient.shown)) == 1, patient.shown
    retried = sum(p.attempts - 1 for p in others)
    acknowledged = [at_commit.shown[0], *(p.shown[0] for p in others)]
    all_acknowledged = [
        ref
        for (ref,) in stack.query("SELECT reference FROM navigation_case")
        if ref in acknowledged
    ]
    result = stack.tally(acknowledged, "commit-%")
    assert len(all_acknowledged) == 7
    stored_now = {
        email: n
        for email, n in stack.query(
            "SELECT p.email, count(*) FROM navigation_case c JOIN records_patient p "
            "ON p.id = c.patient_id GROUP BY p.email"
        )
    }
    assert all(n == 1 for n in stored_now.values()), stored_now
    ledger.record(
        f"postgres stopped at commit, 7 patients retrying ({retried} retries)", result, recovery
    )
    result.assert_nothing_lost_or_duplicated()
