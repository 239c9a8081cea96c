"""Public information pages, the resource library and robots.txt.

An information page is the same for every visitor, so it is rendered without the request
(nothing personal can get into it) and cached whole by Django's cache framework under the
content version (`content.caching`). It goes through the whole middleware stack like any
other response: ConditionalGetMiddleware answers a matching If-None-Match with a 304, and
the page is kept compressed for clients that accept gzip.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import set_response_etag
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from content.caching import cache_per_content_version, public_cache_control
from content.models import InformationPage
from content.presentation import page_context
from content.selectors import page_content_get

PAGE_TEMPLATE = "content/page.html"


@require_safe
@public_cache_control
@cache_per_content_version
@gzip_page
def information_page(request: HttpRequest, path: str) -> HttpResponse:
    content = page_content_get(path=f"/{path}")
    if content is None:
        raise Http404("No published page at this address.")
    response = HttpResponse(render_to_string(PAGE_TEMPLATE, page_context(content)))
    # Taken here, so the cached copy keeps it (weakened when compressed).
    set_response_etag(response)
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
