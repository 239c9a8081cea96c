"""A web worker SIGKILLed in the middle of an upload leaves no temporary file with patient
data behind: gunicorn's master removes the dead worker's files (gunicorn.conf.py)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.drills import ledger
from tests.drills.http import Browser
from tests.drills.processes import ROOT, free_port, wait_port

pytestmark = [pytest.mark.drill, pytest.mark.postgres]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_a_web_worker_killed_mid_upload_leaves_no_temporary_file(drill_database, drill_scratch):
    temp = drill_scratch / "uploads"
    temp.mkdir()
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=drill_database,
        CELERY_BROKER_URL="",
        DEBUG="0",
        FILE_UPLOAD_TEMP_DIR=str(temp),
        PRIVATE_STORAGE_ROOT=str(drill_scratch / "private"),
        EMAIL_BACKEND="console",
    )
    # gunicorn.conf.py is read from the working directory, as in the Docker image.
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cancerfax.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
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
        wait_port(port, timeout=60)
        # A browser that opened the form: its session and CSRF cookies, then the upload.
        browser = Browser(f"http://127.0.0.1:{port}")
        token = browser.csrf_token("/submit/")
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.jar)
        boundary = "drillboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\n'
            f'pathology\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        total = len(head) + 20 * 1024 * 1024
        upload = socket.create_connection(("127.0.0.1", port), timeout=10)
        upload.sendall(
            (
                f"POST /submit/uploads/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: {cookies}\r\nX-CSRFToken: {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {total}\r\n\r\n"
            ).encode()
            + head
            + b"%PDF-1.7\n"
            + b"\0" * (3 * 1024 * 1024)
        )
        # The worker is streaming the file to its temporary copy: kill it there.
        left = wait_for(lambda: list(temp.glob("cfx-upload-*")), timeout=30)
        workers = _children(web.pid)
        assert workers
        killed = time.monotonic()
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        upload.close()
        wait_for(lambda: not list(temp.glob("cfx-upload-*")), timeout=15)
        cleaned = time.monotonic() - killed
        assert web.poll() is None  # the master lives on and starts a new worker
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    assert not list(temp.iterdir())
    ledger.DRILL_FIGURES["web worker SIGKILLed mid-upload"] = (
        f"{len(left)} temporary file(s) at the kill, 0 left, removed {cleaned:.1f} s after it"
    )
