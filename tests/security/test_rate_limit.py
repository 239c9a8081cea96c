"""The shared rate-limit helper the public views use."""

import time_machine
from django.test import RequestFactory
from django.utils import timezone

from cancerfax.security import client_ip, rate_limited


def _request(ip: str = "192.0.2.1", forwarded: str = ""):
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/submit/", **extra)


# The limit counts in fixed windows: tests that count stay inside one.
IN_ONE_WINDOW = time_machine.travel("2026-03-02 09:00:05+00:00", tick=False)


@IN_ONE_WINDOW
def test_it_allows_the_limit_then_refuses():
    answers = [rate_limited(_request(), scope="t", limit=3, period=60) for _ in range(5)]
    assert answers == [False, False, False, True, True]


@IN_ONE_WINDOW
def test_each_scope_and_each_address_has_its_own_budget():
    for _ in range(3):
        rate_limited(_request(), scope="a", limit=3, period=60)
    assert rate_limited(_request(), scope="a", limit=3, period=60)
    assert not rate_limited(_request(), scope="b", limit=3, period=60)
    assert not rate_limited(_request("192.0.2.2"), scope="a", limit=3, period=60)


def test_the_budget_comes_back_in_the_next_window():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            rate_limited(_request(), scope="w", limit=3, period=60)
        assert rate_limited(_request(), scope="w", limit=3, period=60)
    with time_machine.travel(start + timezone.timedelta(seconds=61), tick=False):
        assert not rate_limited(_request(), scope="w", limit=3, period=60)


def test_a_client_cannot_choose_its_address_with_a_header(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("192.0.2.1", forwarded="10.9.9.9")) == "192.0.2.1"


def test_behind_one_proxy_the_address_the_proxy_saw_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = _request("10.0.0.2", forwarded="6.6.6.6, 198.51.100.4")
    assert client_ip(request) == "198.51.100.4"


def test_when_the_cache_is_down_requests_pass(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert rate_limited(_request(), scope="down", limit=0, period=60) is False
