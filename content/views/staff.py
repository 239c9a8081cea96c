"""Staff views of content: the preview of a page or draft as the public would see it."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control

from content.presentation import page_context
from content.selectors import page_content_for_preview
from content.views.public import PAGE_TEMPLATE


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
    context = page_context(content, preview=True)
    response = render(request, PAGE_TEMPLATE, context)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response
