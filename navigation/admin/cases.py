"""The coordinators' case admin: the queue and the case page.

The queue reads in a fixed number of queries whatever the page size (`list_select_related`,
the due time as a subquery). It counts matching cases only a few pages ahead of the page
shown (cancerfax.pagination), so a filtered page costs the same at any size, and every page
of matching cases can still be reached.
Actions and the case page's forms call services; nothing here writes a status itself.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext

from cancerfax.pagination import LookaheadCountAdmin
from cancerfax.roles import coordinators
from navigation import eligibility
from navigation.admin.filters import (
    AgeFilter,
    AssigneeFilter,
    DueFilter,
    Her2DiscordantFilter,
    Her2Filter,
    LaurenFilter,
    MissingFilter,
    MyCasesFilter,
    OutcomeFilter,
    RescreenFilter,
    StageFilter,
)
from navigation.forms import (
    CaseNoteForm,
    CaseTransitionForm,
    RecordsRequestForm,
)
from navigation.matching import centres_rank
from navigation.models import Case, CaseStatus
from navigation.selectors import (
    case_documents,
    case_queue,
    case_search,
    case_timeline,
)
from navigation.services.cases import (
    case_assign,
    case_event_record,
    case_transition,
    missing_record_labels,
    transition_allowed,
)
from navigation.services.privacy import ERASE_PERMISSION
from navigation.services.records_requests import records_request_create
from navigation.services.summary import profile_rows, summary_is_stale
from navigation.views import staff
from navigation.views.staff import audit
from records.admin.auditing import audit_list
from records.models import HER2_DISCORDANT_WORDS, AuditEvent


def query_refused(request: HttpRequest) -> HttpResponse | None:
    """400 for a query string no form could send: a NUL character, which PostgreSQL
    refuses in any text (the filters and the search would otherwise fail with a 500)."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return HttpResponseBadRequest("Bad query string.", content_type="text/plain")
    return None


@admin.register(Case)
class CaseAdmin(LookaheadCountAdmin, admin.ModelAdmin):
    list_display = [
        "reference",
        "age",
        "status",
        "outcome",
        "her2",
        "lauren",
        "stage",
        "missing",
        "assignee_name",
        "due",
    ]
    list_filter = [
        MyCasesFilter,
        "status",
        OutcomeFilter,
        RescreenFilter,
        Her2Filter,
        Her2DiscordantFilter,
        LaurenFilter,
        StageFilter,
        MissingFilter,
        AssigneeFilter,
        DueFilter,
        AgeFilter,
    ]
    # The search itself is `case_search` (see get_search_results); these only name the
    # fields it reads, so the admin draws the search box.
    search_fields = ["=reference", "patient__full_name", "=patient__email"]
    search_help_text = "Case reference or email address (exact), or the patient's name."
    list_select_related = ["patient__profile", "assignee"]
    list_per_page = 100
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-created_at"]
    actions = ["assign_to_me", "start_review", "request_missing_records", "mark_not_suitable"]
    fields = ["reference", "status", "assignee", "centre", "created_at", "updated_at"]
    readonly_fields = ["reference", "status", "centre", "created_at", "updated_at"]
    change_form_template = "admin/navigation/case/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return case_queue()

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # One indexed lookup per kind of term; no duplicates, since each case has one patient.
        return case_search(queryset, search_term), False

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        refused = query_refused(request)
        if refused is not None:
            return refused
        response = super().changelist_view(request, extra_context)
        audit_list(request, response, patient_of=lambda case: case.patient, target="case list")
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Cases are opened by submissions only.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Removing a case is an erasure, with its own confirmation flow.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = coordinators()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Columns. The queue draws 100 rows of 11 cells: per-cell work is most of its time.
    def action_checkbox(self, case: Case) -> str:
        # The stock column renders a widget template for every row, about a quarter of the
        # queue's time; the same markup formatted directly costs a fraction of that.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            case.pk,
            gettext("Select this object for an action - {}").format(case),
        )

    @admin.display(description="age", ordering="created_at")
    def age(self, case: Case) -> str:
        # Only the largest unit is shown, so only that one is worked out.
        return timesince(case.created_at, depth=1)

    @admin.display(description="outcome", ordering="prescreen_outcome")
    def outcome(self, case: Case) -> str:
        label = eligibility.outcome_label(case.prescreen_outcome)
        if case.prescreen_changed_from:
            was = eligibility.outcome_label(case.prescreen_changed_from)
            return f"{label} (new rules; was {was})"
        return label

    @admin.display(description="HER2")
    def her2(self, case: Case) -> str:
        profile = case.patient.clinical_profile
        status = (profile.her2_status if profile else "") or "?"
        return f"{status} (results disagree)" if profile and profile.her2_discordant else status

    @admin.display(description="Lauren", ordering="patient__profile__lauren_type")
    def lauren(self, case: Case) -> str:
        profile = case.patient.clinical_profile
        return (profile.lauren_type if profile else "") or "?"

    @admin.display(description="stage", ordering="patient__profile__stage")
    def stage(self, case: Case) -> str:
        profile = case.patient.clinical_profile
        return (profile.stage if profile else "") or "?"

    @admin.display(description="missing records", ordering="missing_records_count")
    def missing(self, case: Case) -> int:
        return case.missing_records_count

    @admin.display(description="assignee", ordering="assignee__username")
    def assignee_name(self, case: Case) -> str:
        return case.assignee.get_username() if case.assignee else "—"

    @admin.display(description="due", ordering="review_due_at")
    def due(self, case: Case) -> str:
        if case.review_due_at is None:
            return "—"
        due = timezone.localtime(case.review_due_at)
        overdue = " (overdue)" if case.review_due_at < timezone.now() else ""
        return f"{due:%d %b %H:%M}{overdue}"

    # Actions: each calls a service per case and reports what happened.
    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        count = sum(
            case_assign(case=case, assignee=request.user, actor=request.user) for case in queryset
        )
        self.message_user(request, f"{count} case(s) assigned to you.", messages.SUCCESS)

    @admin.action(description="Start review", permissions=["change"])
    def start_review(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._move(request, queryset, CaseStatus.UNDER_REVIEW, "Review started.")

    @admin.action(description="Mark not suitable (alternatives offered)", permissions=["change"])
    def mark_not_suitable(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._move(
            request, queryset, CaseStatus.NOT_SUITABLE, "Not suitable: alternatives offered."
        )

    @admin.action(
        description="Request the missing records from the patient", permissions=["change"]
    )
    def request_missing_records(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        sent = skipped = 0
        for case in queryset:
            if not case.missing_records or case.is_closed:
                skipped += 1
                continue
            records_request_create(
                case=case, items=list(case.missing_records), message="", actor=request.user
            )
            sent += 1
        self.message_user(
            request,
            f"Records requested for {sent} case(s); {skipped} had nothing missing or are closed.",
            messages.SUCCESS if sent else messages.WARNING,
        )

    def _move(self, request, queryset, to_status: str, note: str) -> None:
        moved = refused = 0
        for case in queryset:
            if not transition_allowed(from_status=case.status, to_status=to_status):
                refused += 1
                continue
            moved += case_transition(case=case, to_status=to_status, actor=request.user, note=note)
        level = messages.SUCCESS if moved else messages.WARNING
        self.message_user(
            request, f"{moved} case(s) moved; {refused} could not make that move.", level
        )

    def save_model(self, request, obj: Case, form, change: bool) -> None:
        # Only the assignee is editable here; it goes through the service for its history row.
        if "assignee" not in form.changed_data:
            return
        original = Case.objects.get(pk=obj.pk)
        if obj.assignee is None:
            Case.objects.filter(pk=obj.pk).update(assignee=None)
            case_event_record(case=original, actor=request.user, note="Unassigned.")
        else:
            case_assign(case=original, assignee=obj.assignee, actor=request.user)

    # The case page and the staff views behind it, inside the admin's sign-in.
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:case_id>/documents/<uuid:document_id>/",
                wrap(staff.case_document_download),
                name="navigation_case_document",
            ),
            path(
                "<int:case_id>/summary/",
                wrap(staff.case_summary_download),
                name="navigation_case_summary",
            ),
            path(
                "<int:case_id>/summary/build/",
                wrap(staff.case_build_summary),
                name="navigation_case_build_summary",
            ),
            path(
                "<int:case_id>/audit/", wrap(staff.case_audit_view), name="navigation_case_audit"
            ),
            path(
                "<int:case_id>/request-records/",
                wrap(staff.case_request_records),
                name="navigation_case_request_records",
            ),
            path(
                "<int:case_id>/requests/<int:request_id>/items/<int:index>/received/",
                wrap(staff.case_records_item_receive),
                name="navigation_case_records_item_receive",
            ),
            path(
                "<int:case_id>/requests/<int:request_id>/close/",
                wrap(staff.case_records_request_close),
                name="navigation_case_records_request_close",
            ),
            path("<int:case_id>/notes/", wrap(staff.case_add_note), name="navigation_case_note"),
            path("<int:case_id>/move/", wrap(staff.case_move), name="navigation_case_move"),
            path(
                "<int:case_id>/erase/",
                wrap(staff.case_erase_confirm),
                name="navigation_case_erase",
            ),
            path(
                "<int:case_id>/centre/",
                wrap(staff.case_choose_centre),
                name="navigation_case_centre",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        case = getattr(response, "context_data", {}).get("original")
        # A POST answered with the page again (a form with errors) shows the case too.
        if response.status_code == 200 and case is not None:
            audit(request, action=AuditEvent.Action.VIEW_CASE, case=case, target="case page")
            response["Cache-Control"] = "no-store, private"
        return response

    def history_view(self, request, object_id, extra_context=None) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        case = getattr(response, "context_data", {}).get("object")
        if response.status_code == 200 and case is not None:
            audit(request, action=AuditEvent.Action.VIEW_RECORDS, case=case, target="history")
            response["Cache-Control"] = "no-store, private"
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._case_page_context(obj))
            context["can_erase"] = request.user.has_perm(ERASE_PERMISSION)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _case_page_context(self, case: Case) -> dict:
        profile = case.patient.clinical_profile
        result = case.prescreen_result or {}
        missing_fields = [
            {
                "field": capfirst(eligibility.FIELD_WORDS.get(name, name)),
                "document": eligibility.FIELD_DOCUMENTS[name].words,
            }
            for name in result.get("missing", [])
            if name in eligibility.FIELD_DOCUMENTS
        ]
        summary = getattr(case, "summary", None)
        documents = list(case_documents(case))
        return {
            "case": case,
            "patient": case.patient,
            "profile_rows": profile_rows(profile),
            "her2_discordant": profile is not None and profile.her2_discordant,
            "prescreen_changed_from_label": eligibility.outcome_label(case.prescreen_changed_from),
            "her2_discordant_words": HER2_DISCORDANT_WORDS,
            "timeline_explanation": eligibility.timeline_explanation(result) if result else "",
            "treatment_history": profile.treatment_history if profile else "",
            "prescreen": result,
            "outcome_label": eligibility.outcome_label(result.get("outcome", "")),
            "missing_fields": missing_fields,
            "missing_records": missing_record_labels(case.missing_records),
            "documents": documents,
            "some_documents_unscanned": any(d.is_unscanned for d in documents),
            "timeline": case_timeline(case),
            "notes": case.notes.select_related("author").order_by("-created_at"),
            "review_tasks": case.review_tasks.select_related("assignee"),
            "records_requests": case.records_requests.select_related("requested_by").order_by(
                "-created_at"
            ),
            "centre_matches": centres_rank(case=case),
            "summary": summary,
            "summary_stale": summary is not None and summary_is_stale(case),
            "request_form": RecordsRequestForm(initial={"items": case.missing_records}),
            "note_form": CaseNoteForm(),
            "move_form": CaseTransitionForm(case=case),
            "case_url": reverse("admin:navigation_case_change", args=[case.pk]),
        }
