"""Stop PostgreSQL for a few seconds under requests: /readyz answers 503 fast, nothing is
half-written, and the site serves normally once the database is back.

The drill runs its own PostgreSQL cluster and its own web server (gunicorn), so stopping the
database touches nothing else."""

import os
import shutil
import socket
import subprocess
import sys
import time

import psycopg
import pytest

from tests.drills.http import Browser
from tests.drills.processes import ROOT, DrillPostgres, scratch_directory, wait_port
from tests.navigation.test_intake import valid_answers

pytestmark = [pytest.mark.drill, pytest.mark.postgres]

PG_PORT = 5434
OUTAGE_SECONDS = 4.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stack():
    scratch = scratch_directory("pg")
    pg = DrillPostgres(port=PG_PORT, directory=scratch / "pg")
    pg.init()
    pg.start()
    url = pg.createdb("drill")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=url,
        DATABASE_CONNECT_TIMEOUT="2",
        CELERY_BROKER_URL="",
        REDIS_URL="",
        DEBUG="0",
        PRIVATE_STORAGE_ROOT=str(scratch / "private"),
        EMAIL_BACKEND="console",
        SUBMIT_RATE_LIMIT="1000",  # every submission comes from this one test client
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cancerfax.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_port(port, timeout=30)
        yield pg, f"http://127.0.0.1:{port}", url
    finally:
        web.terminate()
        web.wait(timeout=15)
        pg.stop(mode="fast")
        shutil.rmtree(scratch, ignore_errors=True)


def _submit(base: str, n: int) -> tuple[Browser, dict]:
    browser = Browser(base)
    token = browser.csrf_token("/submit/")
    data = valid_answers(email=f"pgdrill{n}@example.org")
    data["csrfmiddlewaretoken"] = token
    return browser, data


def test_a_database_outage_gives_fast_503s_no_partial_rows_and_recovers(stack):
    pg, base, url = stack
    probe = Browser(base)
    assert probe.request("/readyz").status == 200

    saved = 0
    for n in range(3):
        browser, data = _submit(base, n)
        assert browser.request("/submit/", data).status == 302
        saved += 1
    # Forms opened before the outage and sent during it.
    pending = [_submit(base, n) for n in range(3, 9)]

    pg.stop(mode="immediate")  # as abrupt as a crash
    ready, sent = [], []
    outage_started = time.monotonic()
    while time.monotonic() - outage_started < OUTAGE_SECONDS:
        ready.append(probe.request("/readyz"))
        if pending:
            browser, data = pending.pop()
            sent.append(browser.request("/submit/", data))
    pg.start()

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
        browser, data = _submit(base, n)
        assert browser.request("/submit/", data).status == 302
        saved += 1
    # The forms whose first send failed can simply be sent again.
    for browser, data in pending:
        assert browser.request("/submit/", data).status == 302
        saved += 1

    with psycopg.connect(url) as conn:
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        assert count("SELECT count(*) FROM records_patient") == saved
        assert count("SELECT count(*) FROM navigation_case") == saved
        assert count("SELECT count(*) FROM records_clinicalprofile") == saved
        assert count("SELECT count(*) FROM records_consent") == saved
        assert count("SELECT count(*) FROM navigation_outbox") == saved
        assert (
            count(
                "SELECT count(*) FROM records_patient p WHERE NOT EXISTS "
                "(SELECT 1 FROM navigation_case c WHERE c.patient_id = p.id)"
            )
            == 0
        )
        assert count("SELECT count(*) FROM records_patient WHERE email LIKE 'pgdrill%'") == saved
