"""No sign-in token, search term, email or health answer in any log line: a real gunicorn,
started with the configuration the Dockerfile and compose use (gunicorn.conf.py), is sent
requests carrying each, and its access log, error log and output are read back."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cancerfax.logredact import redact
from tests.drills.processes import port_open, wait_port

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("ACCESS_LOG_TEST_PORT", "8106"))
TOKEN = "Zq8SecretSignInToken4xW:1tVhQe:Kx9signature"
EMAIL = "dana.private@clinic-mail.org"
SECRETS = [TOKEN, "Zq8Secret", "dana", "clinic-mail", "IIIB", "her2_status", "Canarysearch"]


def _get(path: str, **headers: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_redaction_removes_tokens_and_query_strings():
    assert redact(f"GET /portal/signin/{TOKEN}/ HTTP/1.1") == (
        "GET /portal/signin/[redacted]/ HTTP/1.1"
    )
    assert redact("Not Found: /admin/x/?q=dana") == "Not Found: /admin/x/"
    assert redact("/portal/signin/[redacted]/") == "/portal/signin/[redacted]/"


def test_a_real_gunicorns_logs_carry_no_token_search_term_email_or_answer(tmp_path):
    if port_open(PORT):
        pytest.skip(f"port {PORT} is taken")
    access, errors, output = tmp_path / "access.log", tmp_path / "error.log", tmp_path / "out"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cancerfax.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "LOG_LEVEL": "DEBUG",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": str(access),
        "GUNICORN_ERROR_LOG": str(errors),
    }
    with output.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "cancerfax.wsgi", "--bind", f"127.0.0.1:{PORT}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_port(PORT, timeout=60)
        statuses = [
            _get(f"/portal/signin/{TOKEN}/"),
            _get("/admin/navigation/case/?q=Canarysearch+dana"),
            _get(f"/admin/autocomplete/?term={EMAIL}"),
            _get("/submit/?stage=IIIB&her2_status=positive"),
            _get("/healthz", Referer=f"https://example.org/portal/signin/{TOKEN}/?e={EMAIL}"),
        ]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if access.exists() and len(access.read_text().splitlines()) >= len(statuses):
                break
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    lines = access.read_text().splitlines()
    assert len(lines) == 5, lines
    assert statuses[0] == 400
    assert '"GET /portal/signin/[redacted]/ HTTP/1.1" 400' in lines[0]
    assert '"GET /admin/navigation/case/ HTTP/1.1" 302' in lines[1]
    everything = access.read_text() + errors.read_text() + output.read_text()
    for secret in SECRETS:
        assert secret not in everything, secret
