"""Drill fixtures: a Redis broker of the drills' own, and workers on the test database."""

import shutil

import pytest
from django.db import connection

from cancerfax.celery import app as celery_app
from tests.conftest import service_missing
from tests.drills.processes import DrillRedis, database_url, free_port, scratch_directory


@pytest.fixture
def drill_database(transactional_db) -> str:
    """The URL of this test's database, for processes the drill starts."""
    if connection.vendor != "postgresql":
        service_missing("the drills share the database with real processes: set DATABASE_URL")
    return database_url(connection.settings_dict)


@pytest.fixture
def drill_scratch():
    """Logs and marker files of the processes a drill starts, outside pytest's tmp tree."""
    scratch = scratch_directory("files")
    yield scratch
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def drill_redis(settings):
    scratch = scratch_directory("redis")
    redis = DrillRedis(port=free_port(), directory=scratch)
    redis.start()
    # The application publishes to this broker, through real Redis, not in-process.
    settings.CELERY_BROKER_URL = redis.url
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield redis
    celery_app.conf.task_always_eager = eager
    redis.kill()
    shutil.rmtree(scratch, ignore_errors=True)


def pytest_terminal_summary(terminalreporter) -> None:
    from tests.drills.ledger import DRILL_FIGURES
    from tests.drills.test_fuzz import FUZZ_FIGURES

    for name, figures in sorted(DRILL_FIGURES.items()):
        terminalreporter.write_line(f"drill {name}: {figures}")

    for target, (tried, accepted) in sorted(FUZZ_FIGURES.items()):
        terminalreporter.write_line(
            f"fuzz {target}: {tried} bad inputs tried, {accepted} accepted that should not be"
        )
