"""The public page cache: a shared copy per page in the cache server, and one in each process.

A cached request should cost what serving a file costs, so the page normally comes from the
web process's own memory, without a round trip to Redis:

- The **content version** (a random token, replaced whenever content is saved) names every
  cached copy. Each process reads it from the shared cache at most once every
  `VERSION_CHECK_SECONDS` and keeps it in between. So after an editor saves, every web
  process shows the change within about a second; the process that saved (the editor's own
  request) forgets its copies at once, because it sets the new version itself.
- The **shared copy** (one Redis entry per page, language and version) holds the ETag and the
  body together: a process that has no copy of its own fetches both in one round trip.
  Beside it, a small entry holds the ETag alone, so a conditional GET is answered with a 304
  without fetching the body.
- The **process copy** keeps the body split at the nonce placeholder, and its gzip
  compression once a client has asked for it. Each response joins the pieces around its own
  CSP nonce; the compressed variant joins precompressed pieces around the nonce in a stored
  block, so no response compresses the page again (see `CachedPage.gzipped`).

Every cache failure is logged and treated as a miss: the cache is a speed-up, and patients
still get the page with Redis down.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import struct
import time
import uuid
import zlib
from collections.abc import Callable

from django.core.cache import cache

from navigation.eligibility import RULE_SET_VERSION

logger = logging.getLogger(__name__)

VERSION_KEY = "content:version"
# How stale a process's idea of the content version may get: the bound on how long other
# web processes can show a page as it was before an edit.
VERSION_CHECK_SECONDS = 1.0
PAGE_CACHE_SECONDS = 24 * 60 * 60
# Where each response's CSP nonce goes. It begins with "<", which escaped page text can
# never contain, so only the template's own nonce attributes hold it.
NONCE_PLACEHOLDER = "<!--csp-nonce-->"
_PLACEHOLDER = NONCE_PLACEHOLDER.encode()

# The gzip member header (RFC 1952): deflate, no name or time, "maximum compression", OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


class CachedPage:
    """A rendered page: its ETag and its body in pieces around the nonce placeholder."""

    __slots__ = ("etag", "segments", "_deflated")

    def __init__(self, *, etag: str, body: bytes) -> None:
        self.etag = etag
        self.segments: tuple[bytes, ...] = tuple(body.split(_PLACEHOLDER))
        self._deflated: tuple[bytes, ...] | None = None

    def shared(self) -> dict[str, object]:
        """What the shared cache keeps: plain values, so no class is pickled."""
        return {"etag": self.etag, "body": _PLACEHOLDER.join(self.segments)}

    def body(self, nonce: bytes) -> bytes:
        return nonce.join(self.segments)

    def gzipped(self, nonce: bytes) -> bytes:
        """The body with this nonce, as one gzip member, without compressing it again.

        Each piece between placeholders is deflated once (kept for the process's copy),
        ending byte-aligned (a sync flush) except the last, which ends the stream. Between
        them the nonce goes in as a stored (uncompressed) deflate block. The CRC-32 of the
        whole body is computed per response, which is cheap next to compressing.
        """
        if self._deflated is None:
            last = len(self.segments) - 1
            pieces = []
            for index, segment in enumerate(self.segments):
                compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
                end = zlib.Z_FINISH if index == last else zlib.Z_SYNC_FLUSH
                pieces.append(compressor.compress(segment) + compressor.flush(end))
            self._deflated = tuple(pieces)
        # A stored block: header bits 000 (not final, no compression) padded to a byte,
        # then LEN and its complement, little-endian.
        stored = b"\x00" + struct.pack("<HH", len(nonce), len(nonce) ^ 0xFFFF) + nonce
        out = [_GZIP_HEADER]
        crc = 0
        size = 0
        for index, (segment, piece) in enumerate(zip(self.segments, self._deflated, strict=True)):
            if index:
                out.append(stored)
                crc = zlib.crc32(nonce, crc)
                size += len(nonce)
            out.append(piece)
            crc = zlib.crc32(segment, crc)
            size += len(segment)
        out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(out)


def render_cached_page(body: str) -> CachedPage:
    """A page rendered with the placeholder, and its ETag. The ETag is taken before any
    nonce goes in, so it names the content, not the nonce (weak: the bytes differ by it)."""
    data = body.encode()
    return CachedPage(etag=f'W/"{hashlib.sha256(data).hexdigest()[:40]}"', body=data)


# --- the content version, as this process knows it -----------------------------------------

# The clock for VERSION_CHECK_SECONDS (a name of its own, so tests can move it).
_clock = time.monotonic
# (version, when it was read); one tuple so threads never see a version with another's time.
_known: tuple[str | None, float] = (None, float("-inf"))
# This process's copies, by their versioned key; holds only the current version's pages.
_pages: dict[str, CachedPage] = {}


def _remember(version: str, read_at: float) -> None:
    global _known
    if version != _known[0]:
        _pages.clear()
    _known = (version, read_at)


def content_version() -> str:
    """The current content version; from the shared cache at most once a second."""
    version, read_at = _known
    now = _clock()
    if version is not None and now - read_at < VERSION_CHECK_SECONDS:
        return version
    version = cache.get(VERSION_KEY)
    if version is None:
        # A random token rather than a counter: if the cache loses it (eviction, restart),
        # the next token is new too, so no stale page can be served under it. add(): when
        # two processes race here, both end up using the one that won.
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or "unversioned"
    _remember(version, now)
    return version


def content_version_bump() -> None:
    """Make every cached page stale: in the shared cache for all processes, and at once
    in this one."""
    version = uuid.uuid4().hex
    cache.set(VERSION_KEY, version, None)
    _remember(version, _clock())


def forget_process_copies() -> None:
    """Drop this process's copies and its remembered version (as a fresh process starts)."""
    global _known
    _pages.clear()
    _known = (None, float("-inf"))


# --- reading and storing ---------------------------------------------------------------


def page_key(*, path: str, language: str) -> str | None:
    """The page's versioned cache key, or None when the cache cannot be reached."""
    try:
        version = content_version()
    except Exception:
        logger.warning("page cache unavailable; rendering uncached", exc_info=True)
        return None
    # The eligibility table comes from code, so its version is part of the key too.
    return f"{version}:{RULE_SET_VERSION}:{language}:{_path_digest(path)}"


@functools.lru_cache(maxsize=1024)
def _path_digest(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:32]


def process_copy(key: str) -> CachedPage | None:
    return _pages.get(key)


def shared_etag(key: str) -> str | None:
    """The ETag of the shared copy, without its body (for conditional GETs)."""
    try:
        return cache.get(f"content:etag:{key}")
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
        return None


def page_get_or_render(
    key: str | None, render: Callable[[], CachedPage | None]
) -> CachedPage | None:
    """This process's copy, else the shared one, else a new rendering stored in both."""
    if key is not None and (page := _pages.get(key)) is not None:
        return page
    if key is not None:
        try:
            stored = cache.get(f"content:page:{key}")
        except Exception:
            logger.warning("page cache unavailable; rendering uncached", exc_info=True)
            key, stored = None, None
        if stored is not None:
            page = CachedPage(etag=stored["etag"], body=stored["body"])
            _pages[key] = page
            return page
    page = render()
    if page is None or key is None:
        return page
    try:
        cache.set_many(
            {f"content:page:{key}": page.shared(), f"content:etag:{key}": page.etag},
            PAGE_CACHE_SECONDS,
        )
    except Exception:
        logger.warning("page cache unavailable; not storing", exc_info=True)
    else:
        _pages[key] = page
    return page
