"""Review tasks, searched by case reference."""

from django.contrib import admin
from django.http import HttpRequest

from navigation.models import ReviewTask
from navigation.selectors import reference_canonical


@admin.register(ReviewTask)
class ReviewTaskAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "assignee", "created_at", "due_at", "done_at", "notified_at"]
    list_filter = ["kind", "done_at", ("assignee", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["case", "assignee"]
    search_fields = ["=case__reference"]
    search_help_text = "Case reference (exact)."
    readonly_fields = ["case", "kind", "created_at", "notified_at", "reminded_at"]
    fields = ["case", "kind", "assignee", "due_at", "done_at", "created_at", "notified_at"]

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # Exact on the stored form (the reference's unique index), not a case-insensitive
        # comparison, which reads every row.
        if not search_term.strip():
            return queryset, False
        reference = reference_canonical(search_term)
        if reference is None:
            return queryset.none(), False
        return queryset.filter(case__reference=reference), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
