"""Shared fixtures: people, and the real services (Redis, a live Celery worker, clamd,
Chromium) that some tests need.

A test that needs a service asks for its fixture. Where the service is not configured,
the test is skipped locally; with REQUIRE_SERVICES=1 (CI) it fails instead.
"""

import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User

from cancerfax.celery import app as celery_app
from cancerfax.roles import CONTENT_EDITORS, COORDINATORS

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def service_missing(reason: str) -> None:
    """Skip for a missing service locally; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES:
        engine = django_settings.DATABASES["default"]["ENGINE"]
        if engine != "django.db.backends.postgresql":
            raise pytest.UsageError("REQUIRE_SERVICES=1 needs DATABASE_URL to name PostgreSQL")
        for name in ("REDIS_URL", "CELERY_BROKER_URL", "CLAMD_ADDRESS"):
            if not os.environ.get(name):
                raise pytest.UsageError(f"REQUIRE_SERVICES=1 needs {name}")


# --- isolation -------------------------------------------------------------------------


def _flush_lifts_the_audit_truncate_guard() -> None:
    """Between transactional tests the runner empties every table with one TRUNCATE, which
    the audit trail refuses (a statement trigger, records migration 0006). The test role
    owns the test database, so the runner's own flush lifts that trigger around itself;
    nothing else does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if getattr(original, "lifts_audit_guard", False):
        return

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if sql and "records_auditevent" in tables:
            trigger = "ALTER TABLE records_auditevent {} TRIGGER records_auditevent_no_truncate"
            return [trigger.format("DISABLE"), *sql, trigger.format("ENABLE")]
        return sql

    sql_flush.lifts_audit_guard = True
    DatabaseOperations.sql_flush = sql_flush


_flush_lifts_the_audit_truncate_guard()


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, request) -> Iterator[None]:
    """Each test gets its own private storage and a clean cache; tasks run in-process
    unless the test asks for a live worker."""
    from django.core.cache import caches

    private = tmp_path / "private"
    private.mkdir()
    settings.PRIVATE_STORAGE_ROOT = private
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchors.log"
    storages = dict(settings.STORAGES)
    for alias in ("default", "private"):
        backend = dict(storages[alias])
        if backend["BACKEND"].endswith("FileSystemStorage"):
            backend["OPTIONS"] = {**backend["OPTIONS"], "location": str(private)}
        storages[alias] = backend
    settings.STORAGES = storages
    for alias in settings.CACHES:
        caches[alias].clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = "live_worker" not in request.fixturenames
    yield
    celery_app.conf.task_always_eager = eager


# --- people ----------------------------------------------------------------------------

STAFF_PASSWORD = "correct-horse-battery-staple-42"


def _staff(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=STAFF_PASSWORD,
        is_staff=True,
        **extra,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def coordinator(db) -> User:
    return _staff("coordinator", COORDINATORS)


@pytest.fixture
def editor(db) -> User:
    return _staff("editor", CONTENT_EDITORS)


@pytest.fixture
def superuser(db) -> User:
    return _staff("admin", is_superuser=True)


# --- services --------------------------------------------------------------------------


@pytest.fixture
def postgres(db) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if not url:
        service_missing("no Redis configured (set REDIS_URL and CELERY_BROKER_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture
def live_worker(redis_url, transactional_db) -> str:
    """A live Celery worker on the real broker, working on this test database.

    `.ci/run` starts it pointed at the test database; tasks enqueued here run there.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("a live worker shares the database: it needs PostgreSQL")
    replies = []
    deadline = time.monotonic() + 20
    while not replies and time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=1.0)
    if not replies:
        service_missing("no Celery worker answers on the broker (start one: make worker)")
    return next(iter(replies[0]))


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


@pytest.fixture
def clamd_address() -> str:
    address = os.environ.get("CLAMD_ADDRESS", "")
    if not address:
        service_missing("no clamd configured (set CLAMD_ADDRESS)")
    parsed = urlparse(address)
    try:
        if parsed.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(3)
            sock.connect(parsed.path)
        else:
            sock = socket.create_connection((parsed.hostname, parsed.port), timeout=3)
        with sock:
            sock.sendall(b"zPING\0")
            answer = sock.recv(64)
    except OSError as exc:
        service_missing(f"clamd at {address} does not answer: {exc}")
    if not answer.startswith(b"PONG"):
        service_missing(f"clamd at {address} answered {answer!r}")
    return address


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    """Debian's nginx (the front server docker-compose runs, from deploy/nginx.conf)."""
    found = os.environ.get("NGINX_PATH") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(found):
        service_missing("nginx is not installed (Debian package nginx)")
    return found


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
    if not executable or not os.path.exists(executable):
        service_missing("no Chromium found (install Debian's chromium or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]


# Staff clients. Always reach the admin through these: they carry whatever a staff
# sign-in needs (a second factor, once the admin requires one).
def staff_client(client, user):
    """Sign `user` in as the admin requires: password session plus a verified TOTP device."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test authenticator", defaults={"confirmed": True}
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def coordinator_client(client, coordinator):
    return staff_client(client, coordinator)


@pytest.fixture
def editor_client(client, editor):
    return staff_client(client, editor)


@pytest.fixture
def superuser_client(client, superuser):
    return staff_client(client, superuser)
