"""Reads that repeat: the coordinators' queue, a case page's parts, estimated counts."""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Min, OuterRef, Q, QuerySet, Subquery
from django.utils.functional import cached_property

from navigation.models import Case, CaseEvent, ReviewTask
from records import selectors as records_selectors
from records.models import AuditEvent, Document


def case_queue() -> QuerySet[Case]:
    """Cases with what the queue shows, in one query: the profile, the assignee and the due
    time of the open review task (a correlated subquery, not one query per row)."""
    due = (
        ReviewTask.objects.filter(case=OuterRef("pk"), done_at__isnull=True)
        .order_by()
        .values("case")
        .annotate(due=Min("due_at"))
        .values("due")[:1]
    )
    return Case.objects.select_related("patient__profile", "assignee").annotate(
        review_due_at=Subquery(due)
    )


def her2_q(status: str) -> Q:
    """Cases whose derived HER2 status is `status` ("" for unknown), as a database filter."""
    return records_selectors.her2_q(status, prefix="patient__profile__")


def her2_discordant_q() -> Q:
    """Cases whose reported HER2 status disagrees with the test scores."""
    return records_selectors.her2_discordant_q(prefix="patient__profile__")


def case_documents(case: Case) -> QuerySet[Document]:
    return Document.objects.filter(patient_id=case.patient_id).order_by("category", "uploaded_at")


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


def case_audit_trail(case: Case) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(patient_ref=case.patient.public_id).order_by("-at", "-pk")


def estimated_row_count(model, using: str = "default") -> int | None:
    """PostgreSQL's planner estimate of a table's rows (no scan); None elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class EstimatedCountPaginator(Paginator):
    """Counts exactly up to a cap, and beyond it uses the table estimate.

    COUNT(*) over a large table reads every row; the queue does not need the exact figure
    once there are more cases than anyone pages through.
    """

    exact_up_to = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        capped = queryset.order_by()[: self.exact_up_to + 1].count()
        if capped <= self.exact_up_to:
            return capped
        estimate = estimated_row_count(queryset.model, using=queryset.db)
        if estimate and not queryset.query.where:
            return max(estimate, capped)
        return capped
