import pytest
from django.core.cache import cache

from cancerfax.tasks import worker_heartbeat
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.redis]


def test_a_task_goes_through_redis_to_the_live_worker(live_worker, unique):
    assert worker_heartbeat.app.conf.task_always_eager is False
    worker_heartbeat.delay(unique)
    hostname = wait_for(lambda: cache.get(f"worker-heartbeat:{unique}"))
    assert hostname
