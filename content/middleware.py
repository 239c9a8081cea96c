"""A fast path for published pages that this web process already holds in memory.

A cached information page is the same for everyone, so going through sessions, CSRF,
authentication, messages, history, two-factor and lockout checks and the URL resolver only
costs time: that path made a cached page about a third slower than a static file. This
middleware sits right after SecurityMiddleware, WhiteNoise and the CSP middleware (so HSTS,
nosniff, the referrer policy and the CSP header with this request's nonce still apply) and
answers GET and HEAD of a page this process holds a copy of (see `content.pagecache`).
Everything else, including the first request for a page and every draft or preview, goes
the normal way.

The answer is the one the view would give an anonymous visitor, with the headers that the
skipped middleware would add to it (tests/content/test_fast_path.py compares the two):
Vary and Content-Language (LocaleMiddleware), Content-Length (CommonMiddleware),
X-Frame-Options (XFrameOptionsMiddleware), Permissions-Policy (SessionSecurityMiddleware).
What is left out is per session only: no session is read or written and no cookie set, so a
signed-in coordinator reading a public page does not refresh their idle clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from cancerfax.security import PERMISSIONS_POLICY
from content import pagecache
from content.views.public import cached_page_response

# The content URL pattern for pages (content/urls.py), with its leading slash. A copy only
# exists for a path that reached the page view, so this check only spares the key's hash.
_PAGE_PATH = re.compile(r"/(?:[a-z0-9-]+/)+")


class CachedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._from_process_copy(request)
        if response is None:
            return self.get_response(request)
        return response

    @staticmethod
    def _from_process_copy(request: HttpRequest) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD"):
            return None
        path = request.path_info
        if not _PAGE_PATH.fullmatch(path):
            return None
        # What CommonMiddleware checks before any view: the host against ALLOWED_HOSTS
        # (raises DisallowedHost, a 400), and its redirects and refusals, left to it.
        request.get_host()
        if settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS:
            return None
        # As LocaleMiddleware does (no language-prefixed URLs here).
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        key = pagecache.page_key(path=path, language=request.LANGUAGE_CODE)
        if key is None or (cached := pagecache.process_copy(key)) is None:
            return None
        response = cached_page_response(request, cached)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        if not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS.upper())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
