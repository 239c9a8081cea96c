"""Every public and admin page carries the hardening headers; error pages tell nothing."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import include, path

from tests.security.authz import concrete_url, load_matrix
from tests.security.urlwalk import all_routes
from tests.security.world import build_world

ROOT = Path(__file__).resolve().parents[2]
# Inline scripts CSP governs: not data blocks (JSON-LD), which never run.
INLINE_SCRIPT = re.compile(
    rb'<script(?![^>]*\bsrc=)(?![^>]*\btype="application/(?:ld\+)?json")([^>]*)>', re.I
)


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def hardening_problems(response: HttpResponse) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = _directives(csp)
    # A directive left out falls back to default-src (file downloads use "default-src 'none'").
    script = directives.get("script-src", directives.get("default-src", []))
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        problems.append(f"script-src is {script}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("frame-ancestors is not 'none'")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        problems.append("object-src is not 'none'")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for header, value in expected.items():
        if response.headers.get(header) != value:
            problems.append(f"{header} is {response.headers.get(header)!r}")
    if "Permissions-Policy" not in response.headers:
        problems.append("no Permissions-Policy")
    if response.headers.get("Content-Type", "").startswith("text/html"):
        nonce = next((w for w in script if w.startswith("'nonce-")), "")[7:-1]
        for attrs in INLINE_SCRIPT.findall(response.content):
            if f'nonce="{nonce}"'.encode() not in attrs:
                problems.append(f"inline <script{attrs.decode()}> without this response's nonce")
    return problems


@pytest.mark.django_db
def test_a_crawl_of_every_public_and_admin_page_finds_the_headers(coordinator, editor, superuser):
    world = build_world(coordinator, editor, superuser)
    routes = {r.key: r for r in all_routes()}
    visited, failures = 0, []
    for key, row in load_matrix().items():
        if row.get("method", "get") != "get":
            continue
        url = concrete_url(routes[key], row, world)
        is_admin = routes[key].route.startswith("admin/")
        roles = ["anonymous", "superuser"] if is_admin else ["anonymous", "patient_a"]
        for role in roles:
            response = world.clients[role].get(url)
            visited += 1
            failures += [
                f"{role} {url} ({response.status_code}): {p}" for p in hardening_problems(response)
            ]
    assert visited > 300
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_admin_pages_of_each_model_are_in_the_crawl_as_superuser(superuser_client):
    from django.contrib.admin import site

    for model in site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert not hardening_problems(response), url


@pytest.mark.django_db
def test_not_found_is_our_page_with_the_headers(client):
    response = client.get("/no/such/page/here/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert not hardening_problems(response)


def _boom(request):
    raise RuntimeError("secret-internal-detail-4417")


urlpatterns = [path("boom/", _boom), path("", include("cancerfax.urls"))]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_shows_no_traceback_and_keeps_the_headers(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    for secret in (b"secret-internal-detail-4417", b"Traceback", b"RuntimeError", b"_boom", b"{#"):
        assert secret not in response.content
    assert not hardening_problems(response)


PROBE = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", verbosity=0, interactive=False)
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
user = User.objects.create_superuser("root", "root@example.org", "a-long-test-password-123")
device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
code = str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(6)
c = Client(HTTP_HOST="navigator.example.org")
plain = c.get("/")
page = c.get("/", secure=True)
login = c.get("/admin/login/", secure=True)
signed = c.post("/admin/login/?next=/admin/", {"username": "root",
    "password": "a-long-test-password-123", "otp_device": device.persistent_id,
    "otp_token": code, "next": "/admin/"}, secure=True)
admin = c.get("/admin/", secure=True)
def cookies(r):
    return {k: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]),
                "samesite": m["samesite"], "path": m["path"], "domain": m["domain"]}
            for k, m in r.cookies.items()}
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "hsts": page.headers.get("Strict-Transport-Security", ""),
    "csp": page.headers.get("Content-Security-Policy", ""),
    "login_cookies": cookies(login), "signed_status": signed.status_code,
    "signed_cookies": cookies(signed), "admin_status": admin.status_code,
    "admin_hsts": admin.headers.get("Strict-Transport-Security", ""),
}))
"""


def test_production_mode_adds_hsts_and_secure_host_only_cookies(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ENV", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="cancerfax.settings",
        SECRET_KEY="p" * 30 + "-production-probe-secret-key-value-xyz",
        AUDIT_CHAIN_KEY="q" * 16 + "-production-probe-audit-chain-key",
        DOCUMENT_ENCRYPTION_KEYS="probe:cHJvYmUtb25seS1wcm9iZS1vbmx5LXByb2JlLW9ubHk=",
        ALLOWED_HOSTS="navigator.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        PRIVATE_STORAGE_ROOT=str(tmp_path / "private"),
        STATIC_ROOT=str(tmp_path / "static"),
        EMAIL_HOST="smtp.example.org",
        CLAMD_ADDRESS=os.environ.get("CLAMD_ADDRESS") or "tcp://127.0.0.1:3310",
        CELERY_BROKER_URL="",
        REDIS_URL="",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["plain"][0] == 301 and probe["plain"][1].startswith("https://")
    assert probe["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert probe["admin_hsts"] == probe["hsts"]
    assert probe["signed_status"] == 302 and probe["admin_status"] == 200
    csrf = probe["login_cookies"]["__Host-csrftoken"]
    session = probe["signed_cookies"]["__Host-sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] and cookie["httponly"]
        assert cookie["path"] == "/" and not cookie["domain"]
    assert session["samesite"] == "Lax"
