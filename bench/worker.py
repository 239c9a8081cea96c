"""The project's Celery app, plus stamps of when each task starts and ends.

The bench starts its worker with `-A bench.worker` so it can time "review task started by a
live worker" from the worker's side; the tasks themselves are the project's, unchanged.
"""

import json
import os
import time

import redis
from celery.signals import task_postrun, task_prerun

from cancerfax.celery import app

__all__ = ["app"]

STARTED = "bench:task-started"
DONE = "bench:task-done"
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    # One connection per worker process (prefork children connect after the fork).
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    return _client


def _stamp(key: str, task, args) -> None:
    if os.environ.get("BENCH_REDIS_URL"):
        _redis().rpush(
            key, json.dumps({"task": task.name, "args": list(args or ()), "at": time.time()})
        )


@task_prerun.connect
def _started(sender=None, task=None, args=None, **_) -> None:
    _stamp(STARTED, task, args)


@task_postrun.connect
def _done(sender=None, task=None, args=None, **_) -> None:
    _stamp(DONE, task, args)
