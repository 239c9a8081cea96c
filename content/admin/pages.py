"""Content editors' admin: a page with an inline for each kind of part, history for all.

A published page is read-only here: editors change its draft (content.services.revisions) and
publish it as a revision, so nothing an editor saves reaches the public on its own.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from cancerfax.roles import staff_member
from content.models import (
    FAQ,
    BalancePoint,
    CallToAction,
    EvidenceOutcome,
    GlancePoint,
    HelpStep,
    InformationPage,
    KeyNumber,
    PageStatus,
    Section,
    SettingCard,
)
from content.services.revisions import RevisionError, page_draft_open, revision_create


class PublishedStaysReadOnly(SimpleHistoryAdmin):
    """The published page and its parts are changed only by publishing a revision."""

    @staticmethod
    def _page_of(obj):
        return obj if isinstance(obj, InformationPage) else obj.page

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._page_of(obj).is_editable)

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._page_of(obj).is_editable)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history saves a POSTed earlier version after checking only that the
        # user may *view* history: check the change permission against the row as it is now.
        if request.method == "POST":
            current = self.get_object(request, object_id)
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class PartInline(admin.StackedInline):
    extra = 0
    ordering = ["position", "id"]
    readonly_fields = ["history_link"]
    show_change_link = True

    # Here obj is the page the inline is shown on.
    def has_add_permission(self, request, obj=None) -> bool:
        allowed = super().has_add_permission(request, obj)
        return allowed and (obj is None or obj.is_editable)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.is_editable)

    @admin.display(description=_("History"))
    def history_link(self, obj) -> str:
        if not obj.pk:
            return "—"
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Earlier versions"))


class SectionInline(PartInline):
    model = Section
    fields = ["position", "kind", "heading", "intro", "quote", "note", "history_link"]


class GlancePointInline(PartInline):
    model = GlancePoint
    fields = ["position", "text", "history_link"]


class SettingCardInline(PartInline):
    model = SettingCard
    fields = ["position", "title", "body", "history_link"]


class EvidenceOutcomeInline(PartInline):
    model = EvidenceOutcome
    fields = [
        "position",
        "title",
        "measure",
        "description",
        "source",
        ("unit", "approximate"),
        ("treatment_label", "treatment_low", "treatment_high"),
        ("control_label", "control_low", "control_high"),
        "history_link",
    ]


class BalancePointInline(PartInline):
    model = BalancePoint
    fields = ["position", "side", "title", "body", "history_link"]


class KeyNumberInline(PartInline):
    model = KeyNumber
    fields = ["position", "figure", "label", "explanation", "history_link"]


class FAQInline(PartInline):
    model = FAQ
    fields = ["position", "question", "answer", "history_link"]


class HelpStepInline(PartInline):
    model = HelpStep
    fields = ["position", "text", "history_link"]


class CallToActionInline(PartInline):
    model = CallToAction
    fields = ["position", "label", "url", "primary", "history_link"]


class DraftFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("pages", _("Pages")), ("drafts", _("Drafts"))]

    def queryset(self, request, queryset):
        if self.value() == "pages":
            return queryset.filter(draft_of__isnull=True)
        if self.value() == "drafts":
            return queryset.filter(draft_of__isnull=False)
        return queryset


@admin.register(InformationPage)
class InformationPageAdmin(PublishedStaysReadOnly):
    change_form_template = "admin/content/informationpage/change_form.html"
    list_display = [
        "__str__",
        "path",
        "status",
        "last_reviewed",
        "next_review_due",
        "clinical_reviewer",
        "review_is_due",
        "updated_at",
    ]
    list_filter = [DraftFilter, "status", "condition", "therapy", "next_review_due"]
    list_select_related = ["draft_of"]
    search_fields = ["title", "path", "summary"]
    # Status and review come from revisions: publishing one and recording its review.
    readonly_fields = [
        "status",
        "updated_at",
        "preview_link",
        "last_reviewed",
        "next_review_due",
        "clinical_reviewer",
    ]
    fieldsets = [
        (None, {"fields": ["title", "path", "status", "preview_link"]}),
        (_("Text"), {"fields": ["subtitle", "summary", "therapy", "condition", "disclaimer"]}),
        (
            _("Clinical review"),
            {"fields": ["last_reviewed", "next_review_due", "clinical_reviewer", "updated_at"]},
        ),
    ]
    inlines = [
        SectionInline,
        GlancePointInline,
        SettingCardInline,
        EvidenceOutcomeInline,
        BalancePointInline,
        KeyNumberInline,
        FAQInline,
        HelpStepInline,
        CallToActionInline,
    ]

    @admin.display(description=_("Review due"), boolean=True)
    def review_is_due(self, obj: InformationPage) -> bool:
        return obj.review_is_due

    @admin.display(description=_("Preview"))
    def preview_link(self, obj: InformationPage) -> str:
        if not obj.pk:
            return str(_("Save the page first."))
        url = reverse("content:preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview as the public will see it"))

    def view_on_site(self, obj: InformationPage) -> str | None:
        return obj.get_absolute_url() if obj.is_published else None

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # A draft keeps its page's address; a published page's address is part of the
        # public contract.
        if obj is not None and (obj.is_draft_copy or obj.is_published):
            fields.append("path")
        return fields

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:page_id>/draft/",
                wrap(self.open_draft_view),
                name="content_informationpage_draft",
            ),
            path(
                "<int:page_id>/revise/",
                wrap(self.send_for_review_view),
                name="content_informationpage_revise",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        page = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if page is not None:
            live = page.draft_of or page
            extra.update(
                draft=InformationPage.objects.drafts_of(page).first(),
                revisions_url=(
                    reverse("admin:content_pagerevision_changelist")
                    + f"?page__id__exact={live.pk}"
                ),
                may_edit=request.user.has_perm("content.change_informationpage"),
            )
        return super().change_view(request, object_id, form_url, extra)

    @staticmethod
    def _page_for_editing(request: HttpRequest, page_id: int) -> InformationPage:
        if not request.user.has_perm("content.change_informationpage"):
            raise PermissionDenied
        return get_object_or_404(InformationPage, pk=page_id)

    @method_decorator(require_POST)
    def open_draft_view(self, request: HttpRequest, page_id: int) -> HttpResponse:
        draft = page_draft_open(page=self._page_for_editing(request, page_id))
        return HttpResponseRedirect(
            reverse("admin:content_informationpage_change", args=[draft.pk])
        )

    @method_decorator(require_POST)
    def send_for_review_view(self, request: HttpRequest, page_id: int) -> HttpResponse:
        draft = self._page_for_editing(request, page_id)
        try:
            revision = revision_create(
                draft=draft, author=staff_member(request), note=request.POST.get("note", "")[:300]
            )
        except RevisionError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:content_informationpage_change", args=[draft.pk])
            )
        self.message_user(
            request,
            _("Revision %(number)s is recorded and awaits its clinical review.")
            % {"number": revision.number},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:content_pagerevision_change", args=[revision.pk])
        )


class PartAdmin(PublishedStaysReadOnly):
    """Each part also has its own change page, for its history and earlier versions."""

    list_select_related = ["page"]
    list_filter = ["page"]
    ordering = ["page", "position", "id"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # New parts go on drafts and unpublished pages only.
        if db_field.name == "page":
            kwargs["queryset"] = InformationPage.objects.exclude(status=PageStatus.PUBLISHED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # A part stays on its page: each page's sections are redrawn when their parts
        # change, and moving one would leave the page it left showing it.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "page"] if obj is not None else fields


@admin.register(Section)
class SectionAdmin(PartAdmin):
    list_display = ["heading", "kind", "page", "position"]
    search_fields = ["heading", "intro"]


@admin.register(GlancePoint)
class GlancePointAdmin(PartAdmin):
    list_display = ["__str__", "page", "position"]
    search_fields = ["text"]


@admin.register(SettingCard)
class SettingCardAdmin(PartAdmin):
    list_display = ["title", "page", "position"]
    search_fields = ["title", "body"]


@admin.register(EvidenceOutcome)
class EvidenceOutcomeAdmin(PartAdmin):
    list_display = [
        "title",
        "measure",
        "treatment_low",
        "treatment_high",
        "control_low",
        "control_high",
        "unit",
        "page",
    ]
    search_fields = ["title", "measure"]


@admin.register(BalancePoint)
class BalancePointAdmin(PartAdmin):
    list_display = ["title", "side", "page", "position"]
    list_filter = ["side", "page"]
    search_fields = ["title", "body"]


@admin.register(KeyNumber)
class KeyNumberAdmin(PartAdmin):
    list_display = ["figure", "label", "page", "position"]
    search_fields = ["label", "explanation"]


@admin.register(FAQ)
class FAQAdmin(PartAdmin):
    list_display = ["question", "page", "position"]
    search_fields = ["question", "answer"]


@admin.register(HelpStep)
class HelpStepAdmin(PartAdmin):
    list_display = ["__str__", "page", "position"]
    search_fields = ["text"]


@admin.register(CallToAction)
class CallToActionAdmin(PartAdmin):
    list_display = ["label", "url", "primary", "page", "position"]
