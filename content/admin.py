"""Content editors' admin: a page with an inline for each kind of part, history for all."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from content.models import (
    FAQ,
    BalancePoint,
    CallToAction,
    EvidenceOutcome,
    GlancePoint,
    HelpStep,
    InformationPage,
    KeyNumber,
    Section,
    SettingCard,
)


class PartInline(admin.StackedInline):
    extra = 0
    ordering = ["position", "id"]
    readonly_fields = ["history_link"]
    show_change_link = True

    @admin.display(description=_("History"))
    def history_link(self, obj) -> str:
        if not obj.pk:
            return "—"
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Earlier versions"))


class TabularPartInline(PartInline, admin.TabularInline):
    template = "admin/edit_inline/tabular.html"


class SectionInline(PartInline):
    model = Section
    fields = ["position", "kind", "heading", "intro", "quote", "note", "history_link"]


class GlancePointInline(TabularPartInline):
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


class HelpStepInline(TabularPartInline):
    model = HelpStep
    fields = ["position", "text", "history_link"]


class CallToActionInline(TabularPartInline):
    model = CallToAction
    fields = ["position", "label", "url", "primary", "history_link"]


@admin.register(InformationPage)
class InformationPageAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "path",
        "status",
        "last_reviewed",
        "next_review_due",
        "clinical_reviewer",
        "review_is_due",
        "updated_at",
    ]
    list_filter = ["status", "condition", "therapy", "next_review_due"]
    search_fields = ["title", "path", "summary"]
    readonly_fields = ["updated_at", "preview_link"]
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
            return _("Save the page first.")
        url = reverse("content:preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview as the public will see it"))

    def view_on_site(self, obj: InformationPage) -> str | None:
        return obj.get_absolute_url() if obj.is_published else None


class PartAdmin(SimpleHistoryAdmin):
    """Each part also has its own change page, for its history and earlier versions."""

    list_select_related = ["page"]
    list_filter = ["page"]
    ordering = ["page", "position", "id"]

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
