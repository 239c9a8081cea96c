"""Public information pages, the resource library and robots.txt.

Caching and the CSP nonce: the public page is cached whole (see `content.pagecache`), but
every response must carry a fresh nonce that matches its Content-Security-Policy header. So
the cached copy is rendered without a request (nothing personal can get into it) and with a
placeholder where the nonce goes; each response puts in the nonce of its own request, which
is the one the CSP middleware then puts in the header.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from content import pagecache
from content.models import InformationPage
from content.pagecache import NONCE_PLACEHOLDER, CachedPage
from content.presentation import page_context
from content.selectors import page_content_get

logger = logging.getLogger(__name__)
PAGE_TEMPLATE = "content/page.html"


def _render_cacheable(path: str) -> CachedPage | None:
    content = page_content_get(path=path)
    if content is None:
        return None
    context = page_context(content, csp_nonce=mark_safe(NONCE_PLACEHOLDER))  # noqa: S308
    return pagecache.render_cached_page(render_to_string(PAGE_TEMPLATE, context))


def _accepts_gzip(request: HttpRequest) -> bool:
    """Whether the client takes gzip: it lists it, and not with q=0."""
    for coding in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, _, params = coding.partition(";")
        if name.strip().lower() != "gzip":
            continue
        quality = params.strip().replace(" ", "")
        if not quality.startswith("q="):
            return True
        try:
            return float(quality[2:]) > 0
        except ValueError:
            return False
    return False


_CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)


def _not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    if not any(header in request.META for header in _CONDITIONAL_HEADERS):
        return None
    response = get_conditional_response(request, etag=etag)
    if response is None:
        return None
    # A 304 has no body; the browser keeps the body it has, with the nonce it has. A CSP
    # header here would replace the stored one with a nonce that body lacks.
    response._csp_config = {}
    response._csp_ro_config = {}
    response["Cache-Control"] = "no-cache"
    response["Vary"] = "Accept-Encoding"
    return response


@require_safe
def information_page(request: HttpRequest, path: str) -> HttpResponse:
    path = f"/{path}"
    key = pagecache.page_key(path=path, language=get_language())
    if key is not None and "HTTP_IF_NONE_MATCH" in request.META:
        # Answered from this process's copy or the small ETag entry; the body is not read.
        known = pagecache.process_copy(key)
        etag = known.etag if known is not None else pagecache.shared_etag(key)
        if etag is not None and (not_modified := _not_modified(request, etag)) is not None:
            return not_modified
    cached = pagecache.page_get_or_render(key, lambda: _render_cacheable(path))
    if cached is None:
        raise Http404("No published page at this address.")
    return cached_page_response(request, cached)


def cached_page_response(request: HttpRequest, cached: CachedPage) -> HttpResponse:
    """The answer for a published page in the cache: a 304, or the body with this
    request's nonce. Shared with `content.middleware`'s fast path, so both answer alike."""
    if (not_modified := _not_modified(request, cached.etag)) is not None:
        return not_modified
    nonce = get_nonce(request)
    nonce_bytes = b"" if nonce is None else str(nonce).encode()
    if _accepts_gzip(request):
        response = HttpResponse(cached.gzipped(nonce_bytes))
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(cached.body(nonce_bytes))
    response["ETag"] = cached.etag
    response["Vary"] = "Accept-Encoding"
    # Browsers and proxies keep the page but ask each time; the answer is usually a 304.
    response["Cache-Control"] = "no-cache"
    return response


def library(request: HttpRequest) -> HttpResponse:
    pages = InformationPage.objects.published().only("path", "title", "summary", "condition")
    return render(request, "content/library.html", {"pages": pages})


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /portal/",
        "Disallow: /submit/",
        "Disallow: /api/",
        "Disallow: /preview/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
