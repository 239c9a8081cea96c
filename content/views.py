"""Public information pages, the resource library, staff preview, sitemap and robots.txt.

Caching and the CSP nonce: the public page is cached whole, but every response must carry
a fresh nonce that matches its Content-Security-Policy header. So the cached copy is
rendered without a request (nothing personal can get into it) and with a placeholder where
the nonce goes; each response swaps in the nonce of its own request, which is the one the
CSP middleware then puts in the header. The placeholder begins with "<", which escaped page
text can never contain. The ETag is taken from the cached copy before the swap, so it
names the content, not the nonce (a weak ETag: the bytes differ by the nonce).
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from content.models import InformationPage
from content.presentation import page_context
from content.selectors import page_content_for_preview, page_content_get
from content.services import content_cache_version
from navigation.eligibility import RULE_SET_VERSION

logger = logging.getLogger(__name__)
NONCE_PLACEHOLDER = "<!--csp-nonce-->"
PAGE_CACHE_SECONDS = 24 * 60 * 60
PAGE_TEMPLATE = "content/page.html"


def _page_cache_key(path: str) -> str:
    # The eligibility table comes from code, so its version is part of the key too.
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"content:page:{content_cache_version()}:{RULE_SET_VERSION}:{get_language()}:{digest}"


def _render_cacheable(path: str) -> dict[str, str] | None:
    content = page_content_get(path=path)
    if content is None:
        return None
    context = page_context(content, csp_nonce=mark_safe(NONCE_PLACEHOLDER))  # noqa: S308
    body = render_to_string(PAGE_TEMPLATE, context)
    etag = f'W/"{hashlib.sha256(body.encode()).hexdigest()[:40]}"'
    return {"body": body, "etag": etag}


@require_safe
def information_page(request: HttpRequest, path: str) -> HttpResponse:
    path = f"/{path}"
    try:
        key = _page_cache_key(path)
        cached = cache.get(key)
    except Exception:
        # The cache is a speed-up: with Redis down, patients still get the page.
        logger.warning("page cache unavailable; rendering uncached", exc_info=True)
        key, cached = None, None
    if cached is None:
        cached = _render_cacheable(path)
        if cached is None:
            raise Http404("No published page at this address.")
        if key is not None:
            try:
                cache.set(key, cached, PAGE_CACHE_SECONDS)
            except Exception:
                logger.warning("page cache unavailable; not storing", exc_info=True)
    not_modified = get_conditional_response(request, etag=cached["etag"])
    if not_modified is not None:
        # A 304 has no body; the browser keeps the body it has, with the nonce it has. A
        # CSP header here would replace the stored one with a nonce that body lacks.
        not_modified._csp_config = {}
        not_modified._csp_ro_config = {}
        not_modified["Cache-Control"] = "no-cache"
        return not_modified
    nonce = get_nonce(request)
    response = HttpResponse(
        cached["body"].replace(NONCE_PLACEHOLDER, "" if nonce is None else str(nonce))
    )
    response["ETag"] = cached["etag"]
    # Browsers and proxies keep the page but ask each time; the answer is usually a 304.
    patch_cache_control(response, no_cache=True)
    return response


def preview(request: HttpRequest, page_id: int) -> HttpResponse:
    # The same gate as the admin itself (staff, signed in with a second factor): drafts
    # are unpublished health information.
    if not admin.site.has_permission(request):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not request.user.has_perm("content.view_informationpage"):
        raise PermissionDenied
    content = page_content_for_preview(page_id=page_id)
    if content is None:
        raise Http404("No such page.")
    context = page_context(content, csp_nonce=get_nonce(request), preview=True)
    response = render(request, PAGE_TEMPLATE, context)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
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
