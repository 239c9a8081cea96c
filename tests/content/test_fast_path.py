"""The fast path for cached pages answers exactly as the full middleware stack and view do."""

from __future__ import annotations

import gzip
import re

import pytest
from django.conf import settings
from django.test import Client

from tests.content.factories import SEED_PATH

pytestmark = pytest.mark.django_db

FAST_PATH = "content.middleware.CachedPageMiddleware"


def _nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]


def _headers_without_nonce(response) -> dict[str, str]:
    headers = dict(response.headers)
    if "Content-Security-Policy" in headers:
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            _nonce(response), "N"
        )
    return headers


def _went_through_the_full_stack(response) -> bool:
    # SessionMiddleware gives every request it sees a session; the fast path skips it.
    return hasattr(response.wsgi_request, "session")


@pytest.fixture
def slow_then_fast(settings):
    """A GET through the full stack without the fast path (which stores the process copy),
    then the same GET answered by the fast path. A test client builds its middleware chain
    on its first request, hence one client each."""

    def get(**headers):
        with_fast_path = settings.MIDDLEWARE
        settings.MIDDLEWARE = [name for name in with_fast_path if name != FAST_PATH]
        slow = Client().get(SEED_PATH, headers=headers)
        settings.MIDDLEWARE = with_fast_path
        fast = Client().get(SEED_PATH, headers=headers)
        assert _went_through_the_full_stack(slow)
        assert not _went_through_the_full_stack(fast)
        return slow, fast

    return get


@pytest.mark.parametrize("encoding", ["", "gzip, br"])
def test_the_fast_path_answers_a_page_as_the_view_does(slow_then_fast, encoding):
    slow, fast = slow_then_fast(accept_encoding=encoding)
    assert fast.status_code == slow.status_code == 200
    assert _headers_without_nonce(fast) == _headers_without_nonce(slow)
    # The body differs only by each response's own nonce, the one in its CSP header.
    slow_body = slow.content
    fast_body = fast.content
    if encoding:
        slow_body, fast_body = gzip.decompress(slow_body), gzip.decompress(fast_body)
    assert _nonce(fast).encode() in fast_body
    assert fast_body.replace(_nonce(fast).encode(), b"N") == slow_body.replace(
        _nonce(slow).encode(), b"N"
    )
    for header in (
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
    ):
        assert fast[header], header
    assert "frame-ancestors 'none'" in fast["Content-Security-Policy"]
    assert set(re.split(r",\s*", fast["Vary"])) == {"Accept-Encoding", "Accept-Language"}
    assert "Set-Cookie" not in fast.headers


def test_the_fast_path_answers_a_conditional_get_as_the_view_does(client, slow_then_fast):
    etag = client.get(SEED_PATH)["ETag"]
    slow, fast = slow_then_fast(if_none_match=etag)
    assert fast.status_code == slow.status_code == 304
    assert dict(fast.headers) == dict(slow.headers)
    assert "Content-Security-Policy" not in fast.headers


def test_a_signed_in_visitor_gets_the_public_page_and_no_session_is_touched(
    coordinator_client,
):
    coordinator_client.get(SEED_PATH)
    response = coordinator_client.get(SEED_PATH)
    assert response.status_code == 200
    assert not _went_through_the_full_stack(response)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response["Vary"]


@pytest.mark.parametrize("method", ["post", "options"])
def test_other_methods_go_to_the_view(client, method):
    client.get(SEED_PATH)
    response = getattr(client, method)(SEED_PATH)
    assert _went_through_the_full_stack(response)
    assert response.status_code == 405


def test_a_page_not_yet_in_this_process_goes_the_normal_way(client):
    assert _went_through_the_full_stack(client.get(SEED_PATH))
    assert _went_through_the_full_stack(client.get("/cik/no-such-page/"))
    assert _went_through_the_full_stack(client.get("/cik/no-such-page/"))


def test_a_host_not_allowed_is_refused_on_the_fast_path_too(client):
    client.get(SEED_PATH)
    assert client.get(SEED_PATH, headers={"host": "evil.example"}).status_code == 400


def test_the_fast_path_sits_after_the_security_and_csp_middleware():
    position = settings.MIDDLEWARE.index(FAST_PATH)
    assert settings.MIDDLEWARE[:position] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
    ]
