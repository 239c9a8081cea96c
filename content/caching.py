"""Caching of the public information pages with Django's cache framework.

- The **content version** (a random token in the shared cache, replaced whenever published
  content is saved) is part of every cached page's key. Each request reads it, so an edit
  shows in every web process at once, and old copies are never read again (they expire).
- A page is cached whole by `cache_page` under that version (`cache_per_content_version`),
  in the process's memory (the `pages` cache): one round trip to the shared cache a page.
  The cached response is rendered without the request, so nothing personal can get into it,
  and it carries no CSP nonce: the only script element of the page is the JSON-LD data
  block, which CSP does not govern.
- Browsers revalidate a page on every visit (a 304 by its ETag when nothing changed); the
  shared cache in front (nginx, deploy/nginx.conf) keeps it `PUBLIC_PAGE_SHARED_MAX_AGE`
  seconds and may serve it `PUBLIC_PAGE_STALE_SECONDS` longer while it revalidates
  (`public_cache_control`). So edits reach visitors through nginx within about a second.

Every cache failure while reading the version is logged and the page is rendered uncached:
the cache is a speed-up, and patients still get the page with Redis down.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_page

from navigation.eligibility import RULE_SET_VERSION

logger = logging.getLogger(__name__)

VERSION_KEY = "content:version"
# Where the pages themselves are kept (settings.CACHES): each process's memory. Only the
# version is shared, so an edit is seen by every process on its next request.
PAGE_CACHE_ALIAS = "pages"
# How long Django's cache keeps a page; an edit changes the key long before.
PAGE_CACHE_SECONDS = 24 * 60 * 60

View = Callable[..., HttpResponse]


def content_version() -> str:
    """The current content version, from the shared cache."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A random token rather than a counter: if the cache loses it (eviction, restart),
        # the next token is new too, so no stale page can be served under it. add(): when
        # two processes race here, both end up using the one that won.
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    return version


def content_version_bump() -> None:
    """Make every cached page stale, for every web process."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def cache_per_content_version(view: View) -> View:
    """`cache_page` with the content version (and the eligibility rules' version, since the
    page's eligibility table is drawn from code) in its key prefix."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            version = content_version()
        except Exception:
            logger.warning("page cache unavailable; rendering uncached", exc_info=True)
            return view(request, *args, **kwargs)
        cached = cache_page(
            PAGE_CACHE_SECONDS,
            # A site configured with one cache keeps its pages there.
            cache=PAGE_CACHE_ALIAS if PAGE_CACHE_ALIAS in settings.CACHES else "default",
            key_prefix=f"content:{version}:{RULE_SET_VERSION}",
        )
        response = cached(view)(request, *args, **kwargs)
        # cache_page dates the copy by Django's own timeout; public_cache_control says
        # how long others may keep it.
        del response["Expires"]
        return response

    return wrapped


def public_cache_control(view: View) -> View:
    """Let browsers and a shared cache keep the page briefly and then revalidate it, unless
    the visitor has a session: nothing answered to a session is shared."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers.pop("Cache-Control", None)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True, no_cache=True)
            return response
        # Browsers revalidate each time (a 304 when nothing changed), so an edit shows at
        # once on the next visit; the shared cache holds the page for a moment and may serve
        # it stale while it fetches the new one in the background.
        directives: dict[str, object] = {
            "public": True,
            "max_age": 0,
            "s_maxage": settings.PUBLIC_PAGE_SHARED_MAX_AGE,
        }
        if settings.PUBLIC_PAGE_STALE_SECONDS > 0:
            directives["stale_while_revalidate"] = settings.PUBLIC_PAGE_STALE_SECONDS
        patch_cache_control(response, **directives)
        return response

    return wrapped
