"""Reads that repeat: the coordinators' queue and a case page's parts."""

from django.db.models import Min, OuterRef, Q, QuerySet, Subquery

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
