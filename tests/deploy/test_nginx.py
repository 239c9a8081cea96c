"""nginx with the repository's configuration (deploy/nginx.conf.template, rendered as
docker-compose's is but for loopback ports and a scratch directory) in front of a real
gunicorn running the project on a migrated SQLite database.

Django is run with small upload limits and a shared-cache lifetime of a few seconds, and the
configuration is rendered from the same values, so the checks take seconds: a public page is
kept and revalidated by its ETag, the patient and staff areas and sessions never are, static
files come from nginx, and the body limit lets the largest legitimate request through and
refuses one byte more.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings

from cancerfax.frontserver import NginxSite, nginx_config, request_body_limit
from tests.drills.processes import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/cik/gastric-cancer/"
SHARED_MAX_AGE = 2
LIMITS = {
    "UPLOAD_MAX_FILE_BYTES": 1024 * 1024,
    "UPLOAD_MAX_FILES": 3,
    "UPLOAD_MAX_SUBMISSION_BYTES": 2 * 1024 * 1024,
    "UPLOAD_RESUMABLE_MAX_PATCH_BYTES": 512 * 1024,
}


@dataclass
class Front:
    port: int
    body_limit: int
    gunicorn_log: Path
    static_root: Path

    def request(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            # Refused before the whole body was sent: the answer is still there to read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path, **headers)

    def django_saw(self, line: str) -> int:
        """How many of gunicorn's access log lines contain `line`."""
        text = self.gunicorn_log.read_text() if self.gunicorn_log.exists() else ""
        return sum(line in entry for entry in text.splitlines())

    def wait_until_django_saw(self, line: str, count: int) -> None:
        """gunicorn logs a request once it has answered it: wait for the line."""
        _wait_for(lambda: self.django_saw(line) >= count, f"{count} x {line!r}")
        assert self.django_saw(line) == count


def _wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def front(nginx_binary, tmp_path_factory) -> Iterator[Front]:
    scratch = tmp_path_factory.mktemp("front")
    static_root = scratch / "static"
    (static_root / "css").mkdir(parents=True)
    (static_root / "css" / "probe.css").write_text("body { color: #222; }\n")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cancerfax.settings",
        "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite3'}",
        "REDIS_URL": "",
        "CACHE_URL": "",
        "CELERY_BROKER_URL": "",
        "PRIVATE_STORAGE_ROOT": str(scratch / "private"),
        "STATIC_ROOT": str(static_root),
        "WEB_CONCURRENCY": "1",
        "PUBLIC_PAGE_SHARED_MAX_AGE": str(SHARED_MAX_AGE),
        # No stale-while-revalidate: an expired copy is revalidated, which the test sees.
        "PUBLIC_PAGE_STALE_SECONDS": "0",
        **{name: str(value) for name, value in LIMITS.items()},
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    web_port, front_port = free_port(), free_port()
    gunicorn_log = scratch / "gunicorn-access.log"
    with (scratch / "gunicorn.out").open("wb") as out:
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "cancerfax.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
            ],
            cwd=ROOT,
            env={**env, "GUNICORN_ACCESS_LOG": str(gunicorn_log)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    nginx = None
    try:
        wait_port(web_port, timeout=90)
        with override_settings(**LIMITS):
            body_limit = request_body_limit()
            config = nginx_config(
                NginxSite(
                    listen=f"127.0.0.1:{front_port}",
                    upstream=f"127.0.0.1:{web_port}",
                    static_root=str(static_root),
                    state_dir=str(scratch / "nginx"),
                    mime_types="/etc/nginx/mime.types",
                    error_log=str(scratch / "nginx-error.log"),
                    access_log=str(scratch / "nginx-access.log"),
                    # Started as root (a CI container), nginx's workers would otherwise
                    # switch to a user that cannot read this scratch directory.
                    user="root" if os.geteuid() == 0 else "",
                )
            )
        (scratch / "nginx").mkdir()
        conf = scratch / "nginx.conf"
        conf.write_text(config)
        command = [nginx_binary, "-p", str(scratch / "nginx"), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
        wait_port(front_port, timeout=30)
        yield Front(
            port=front_port,
            body_limit=body_limit,
            gunicorn_log=gunicorn_log,
            static_root=static_root,
        )
    finally:
        if nginx is not None:
            _stop(nginx, signal.SIGQUIT)
        _stop(gunicorn)


def test_a_public_page_is_kept_by_nginx_and_revalidated_by_its_etag(front):
    status, first_headers, first = front.get(PAGE)
    assert status == 200
    assert "public" in first_headers["Cache-Control"]
    status, headers, again = front.get(PAGE)
    assert status == 200
    assert headers["X-Cache-Status"] == "HIT"
    assert again == first
    # The browser's conditional request is answered from nginx's copy.
    status, headers, body = front.get(PAGE, **{"If-None-Match": first_headers["ETag"]})
    assert status == 304
    assert body == b""
    # Once the copy is older than s-maxage, nginx asks Django again with the ETag and keeps
    # its copy on the 304. (nginx counts in whole seconds: one more to be sure it expired.)
    answered_304 = front.django_saw(f'"GET {PAGE} HTTP/1.1" 304')
    time.sleep(SHARED_MAX_AGE + 1.5)
    status, headers, body = front.get(PAGE)
    assert status == 200
    # Revalidated while this request waits, or (while another request already revalidates
    # it) served stale and revalidated in the background.
    assert headers["X-Cache-Status"] in {"REVALIDATED", "STALE"}
    assert body == first
    front.wait_until_django_saw(f'"GET {PAGE} HTTP/1.1" 304', answered_304 + 1)
    status, headers, body = front.get(PAGE)
    assert headers["X-Cache-Status"] == "HIT"
    assert body == first


def test_a_visitor_with_a_session_never_gets_or_leaves_a_shared_copy(front):
    front.get(PAGE)
    cookie = {"Cookie": "csrftoken=x; sessionid=not-a-real-session"}
    for _ in range(2):
        status, headers, _ = front.get(PAGE, **cookie)
        assert status == 200
        assert headers["X-Cache-Status"] == "BYPASS"
        assert "public" not in headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/portal/", "/admin/login/", "/submit/"])
def test_the_patient_and_staff_areas_are_never_kept(front, path):
    before = front.django_saw(f'"GET {path} HTTP/1.1"')
    for _ in range(2):
        status, headers, _ = front.get(path)
        assert status == 200
        assert not headers.get("X-Cache-Status")
        assert "public" not in headers.get("Cache-Control", "")
    # Both requests reached Django.
    front.wait_until_django_saw(f'"GET {path} HTTP/1.1"', before + 2)


def test_static_files_come_from_nginx_itself(front):
    status, headers, body = front.get("/static/css/probe.css")
    assert status == 200
    assert body == (front.static_root / "css" / "probe.css").read_bytes()
    assert headers["Content-Type"].startswith("text/css")
    assert front.django_saw("/static/") == 0


def test_the_largest_legitimate_upload_passes_and_one_byte_more_is_refused(front):
    path = "/submit/uploads/"
    headers = {"Content-Type": "application/octet-stream"}
    reached = front.django_saw(f'"POST {path} HTTP/1.1"')
    status, _, _ = front.request("POST", path, body=b"x" * front.body_limit, **headers)
    # Django answers it (without a CSRF token, a 403): nginx let the whole body through.
    assert status == 403
    front.wait_until_django_saw(f'"POST {path} HTTP/1.1"', reached + 1)
    health = front.django_saw('"GET /healthz HTTP/1.1"')
    status, _, _ = front.request("POST", path, body=b"x" * (front.body_limit + 1), **headers)
    assert status == 413
    front.get("/healthz")  # logged after the POST, had it reached Django
    front.wait_until_django_saw('"GET /healthz HTTP/1.1"', health + 1)
    assert front.django_saw(f'"POST {path} HTTP/1.1"') == reached + 1


def test_the_body_limit_takes_a_whole_submission_of_files():
    with override_settings(**LIMITS):
        limit = request_body_limit()
    # Every file of a submission at once, the typed answers beside them, and the headers.
    assert limit > LIMITS["UPLOAD_MAX_SUBMISSION_BYTES"] + 2_621_440
    assert limit < LIMITS["UPLOAD_MAX_SUBMISSION_BYTES"] + 2_621_440 + 64 * 1024


def test_compose_runs_the_configuration_rendered_from_the_settings():
    """deploy/nginx.conf is what `manage.py nginx_config` prints now: an upload limit
    changed in settings without rendering it again fails here."""
    assert (ROOT / "deploy" / "nginx.conf").read_text() == nginx_config(NginxSite())
