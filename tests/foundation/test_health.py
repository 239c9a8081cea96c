import pytest
from django.db import connection
from django.db.utils import load_backend

from cancerfax import health


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CLAMD_ADDRESS = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "scanner": "absent (development)"},
    }


@pytest.mark.django_db
def test_readyz_is_503_when_the_scanner_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CLAMD_ADDRESS = "tcp://127.0.0.1:9"  # discard port: nothing listens
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scanner"] == "unavailable"


@pytest.mark.django_db
def test_readyz_reports_a_running_scanner_as_ok(client, settings, clamd_address):
    settings.CELERY_BROKER_URL = ""
    settings.CLAMD_ADDRESS = clamd_address
    assert client.get("/readyz").json()["checks"]["scanner"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_unreachable(client, settings, monkeypatch, tmp_path):
    settings.CELERY_BROKER_URL = ""
    # A real connection to a database that is not there: a closed port for PostgreSQL,
    # a path that cannot be opened for SQLite.
    broken = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        broken["PORT"] = "1"
        broken["HOST"] = "127.0.0.1"
    else:
        broken["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    backend = load_backend(broken["ENGINE"])
    unreachable = backend.DatabaseWrapper(broken, alias="readiness-probe")
    monkeypatch.setattr(health, "connection", unreachable)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"
    assert response.json()["checks"]["storage"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_storage_is_not_writable(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = ""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    storages = dict(settings.STORAGES)
    storages["private"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "private")},
    }
    settings.STORAGES = storages

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unavailable"


@pytest.mark.django_db
def test_readyz_checks_the_real_broker(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
