"""Writes around information pages: the page cache's version."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "content:version"


def content_cache_version() -> str:
    """The current version of all published content; cached pages are keyed by it.

    A random token rather than a counter: if the cache loses it (eviction, restart), the
    next token is new too, so no stale page can be served under it.
    """
    version = cache.get(VERSION_KEY)
    if version is None:
        # add(): when two processes race here, both end up using the one that won.
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or "unversioned"
    return version


def content_cache_invalidate(*, using: str = "default") -> None:
    """Make every cached page stale, now and again once the transaction commits.

    Now, so the editor who saved sees the change at once; after commit, because a request
    that read the old rows while the transaction was open may have cached them under the
    version we just set.
    """
    _new_version()
    transaction.on_commit(_new_version, using=using)


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
