"""The revisions of a page in the admin: compare, preview, review, publish, restore.

A revision is never edited, so its page is a read-only summary with the comparison and the
step the viewer may take next; each step is a POST to its own URL and calls a service.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cancerfax.roles import staff_member
from content.diffing import snapshot_changes
from content.models import PageRevision
from content.presentation import page_context
from content.services.revisions import (
    RevisionError,
    live_revision,
    page_snapshot,
    revision_page_content,
    revision_publish,
    revision_restore,
    revision_review,
)
from content.views.public import PAGE_TEMPLATE

REVIEW_PERMISSION = "content.review_pagerevision"
PUBLISH_PERMISSION = "content.publish_pagerevision"


class RevisionReviewForm(forms.Form):
    reviewer_credit = forms.CharField(
        label=gettext_lazy("Your name and role, as the page will show them"), max_length=200
    )
    next_review_due = forms.DateField(
        label=gettext_lazy("Next review due"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _default_credit(user) -> str:
    return user.get_full_name() or user.get_username()


def _name(user) -> str:
    return _default_credit(user) if user is not None else ""


def _compared_with(revision: PageRevision, live: PageRevision | None) -> tuple[str, dict | None]:
    """What a revision is compared against, and how to say so: the published page for any
    revision but the published one (what publishing or restoring it would change), and
    the revision published before it for that one (what its publication changed)."""
    if live != revision:
        if live is not None:
            return _("the published page (revision %(n)s)") % {"n": live.number}, live.snapshot
        if revision.page.is_published:
            return _("the published page"), page_snapshot(revision.page)
        return "", None
    earlier = (
        PageRevision.objects.published()
        .filter(page=revision.page, published_at__lt=revision.published_at)
        .order_by("-published_at")
        .first()
    )
    if earlier is None:
        return "", None
    return _("revision %(n)s, published before it") % {"n": earlier.number}, earlier.snapshot


@admin.register(PageRevision)
class PageRevisionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "state",
        "created_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "next_review_due",
        "published_at",
    ]
    list_filter = ["page"]
    list_select_related = ["page", "created_by", "reviewed_by"]
    search_fields = ["note", "page__title"]
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("State"))
    def state(self, obj: PageRevision) -> str:
        if obj.published_at is not None:
            return _("Published")
        return _("Reviewed, not published") if obj.is_reviewed else _("Awaiting clinical review")

    # Made by the services only, never typed in or removed.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:revision_id>/preview/",
                wrap(self.preview_view),
                name="content_pagerevision_preview",
            ),
            path(
                "<int:revision_id>/review/",
                wrap(self.review_view),
                name="content_pagerevision_review",
            ),
            path(
                "<int:revision_id>/publish/",
                wrap(self.publish_view),
                name="content_pagerevision_publish",
            ),
            path(
                "<int:revision_id>/restore/",
                wrap(self.restore_view),
                name="content_pagerevision_restore",
            ),
            *super().get_urls(),
        ]

    def _revision(self, request: HttpRequest, revision_id, permission: str | None = None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if permission and not request.user.has_perm(permission):
            raise PermissionDenied
        return get_object_or_404(
            PageRevision.objects.select_related(
                "page", "created_by", "reviewed_by", "published_by", "restored_from"
            ),
            pk=revision_id,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        if not str(object_id).isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        revision = self._revision(request, object_id)
        return self._detail(
            request,
            revision,
            RevisionReviewForm(
                initial={
                    "reviewer_credit": _default_credit(request.user),
                    "next_review_due": timezone.localdate() + datetime.timedelta(days=365),
                }
            ),
        )

    def _detail(self, request, revision: PageRevision, review_form) -> HttpResponse:
        live = live_revision(revision.page)
        compared_label, compared = _compared_with(revision, live)
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(revision),
            "revision": revision,
            "author_name": _name(revision.created_by),
            "publisher_name": _name(revision.published_by),
            "is_live": live == revision,
            "compared_label": compared_label,
            "changes": snapshot_changes(compared, revision.snapshot) if compared else None,
            "review_form": review_form,
            "may_review": user.has_perm(REVIEW_PERMISSION) and not revision.is_reviewed,
            "is_author": revision.created_by_id == user.pk,
            "may_publish": user.has_perm(PUBLISH_PERMISSION) and revision.published_at is None,
            "may_restore": (
                user.has_perm(PUBLISH_PERMISSION)
                and revision.published_at is not None
                and live != revision
            ),
        }
        return TemplateResponse(request, "admin/content/pagerevision/detail.html", context)

    def preview_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        revision = self._revision(request, revision_id)
        note = _(
            "Preview of revision %(number)s. The public sees the published page until it is "
            "published."
        ) % {"number": revision.number}
        context = page_context(
            revision_page_content(revision),
            preview=True,
            preview_note=note,
        )
        response = render(request, PAGE_TEMPLATE, context)
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex"
        return response

    @method_decorator(require_POST)
    def review_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        revision = self._revision(request, revision_id, REVIEW_PERMISSION)
        form = RevisionReviewForm(request.POST)
        if form.is_valid():
            try:
                revision_review(
                    revision=revision,
                    reviewer=staff_member(request),
                    next_review_due=form.cleaned_data["next_review_due"],
                    reviewer_credit=form.cleaned_data["reviewer_credit"],
                )
            except RevisionError as error:
                form.add_error(None, error)
            else:
                self.log_change(request, revision, "Clinical review recorded.")
                self.message_user(
                    request, _("Your clinical review is recorded."), messages.SUCCESS
                )
                return self._back(revision)
        return self._detail(request, revision, form)

    @method_decorator(require_POST)
    def publish_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        revision = self._revision(request, revision_id, PUBLISH_PERMISSION)
        return self._step(
            request,
            revision,
            lambda: revision_publish(revision=revision, publisher=staff_member(request)),
            _("Revision %(number)s is published."),
        )

    @method_decorator(require_POST)
    def restore_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        revision = self._revision(request, revision_id, PUBLISH_PERMISSION)
        return self._step(
            request,
            revision,
            lambda: revision_restore(revision=revision, publisher=staff_member(request)),
            _("Revision %(number)s restored: the page shows it again, as a new revision."),
        )

    def _step(self, request, revision, step, done: str) -> HttpResponse:
        try:
            result = step()
        except RevisionError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return self._back(revision)
        message = done % {"number": revision.number}
        # The admin's own history of the revision: who published or restored, and when.
        self.log_change(request, result, message)
        self.message_user(request, message, messages.SUCCESS)
        return self._back(result)

    @staticmethod
    def _back(revision: PageRevision) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:content_pagerevision_change", args=[revision.pk])
        )
