"""Reads that repeat: the coordinators' queue, a case page's parts, the coordinators."""

import re
import uuid

from django.db import connections
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cancerfax.roles import coordinators
from navigation.models import Case, CaseEvent, CaseEventKind, ReviewTask
from records.emails import email_canonical_or_none
from records.models import AuditEvent, Document
from records.vocabulary import UNKNOWN

# "CF-ABCD2345", "cf abcd2345", "CFABCD2345": how a reference is typed or read out.
REFERENCE_TYPED = re.compile(r"^CF[-\s]*([A-Z0-9]{4,13})$")


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


def reference_canonical(term: str) -> str | None:
    """The stored form of a typed case reference, or None if the term is not one."""
    match = REFERENCE_TYPED.match(term.strip().upper())
    return f"CF-{match.group(1)}" if match else None


def case_search(queryset: QuerySet[Case], term: str) -> QuerySet[Case]:
    """The queue's search, each kind on its own index so its cost does not grow with the
    number of cases: an email address by exact match on the stored canonical form, a case
    reference by exact match on the stored form, anything else as a name.

    A name is matched by trigram word similarity on PostgreSQL (a GIN index on the name;
    it also forgives a typo), and by a substring match elsewhere (SQLite in development).
    One kind per term, not an OR across them: an OR over the case and patient tables
    cannot use either table's index.
    """
    term = term.strip()
    if not term:
        return queryset
    if "@" in term:
        email = email_canonical_or_none(term)
        return queryset.filter(patient__email=email) if email else queryset.none()
    reference = reference_canonical(term)
    if reference is not None:
        return queryset.filter(reference=reference)
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(patient__full_name__trigram_word_similar=term)
    return queryset.filter(patient__full_name__icontains=term)


def profile_answer_q(field: str, value: str) -> Q:
    """Cases whose clinical profile gives `value` for `field` (her2_status reads the derived
    status). UNKNOWN, the one "I don't know", matches a blank answer and no profile at all."""
    if value == UNKNOWN:
        return Q(patient__profile__isnull=True) | Q(**{f"patient__profile__{field}": ""})
    return Q(**{f"patient__profile__{field}": value})


def case_documents(case: Case) -> QuerySet[Document]:
    return Document.objects.filter(patient_id=case.patient_id).order_by("category", "uploaded_at")


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


def case_audit_trail(case: Case) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(patient_ref=case.patient.public_id).order_by("-at", "-pk")


def case_erasure_requested(case: Case) -> CaseEvent | None:
    """The patient's latest request for erasure on this case's history, if any."""
    return case.events.filter(kind=CaseEventKind.ERASURE_REQUESTED).order_by("-at", "-pk").first()


def submission_case(key: uuid.UUID | None) -> Case | None:
    """The case a submission form already stored, if any."""
    return Case.objects.filter(submission_key=key).first() if key else None


def coordinators_by_open_tasks():
    """Coordinators, fewest open review tasks first.

    Counted per coordinator on the partial index of open tasks: the cost follows the open
    tasks only, not every task ever done (a join and GROUP BY over all tasks did)."""
    open_tasks = (
        ReviewTask.objects.open()
        .filter(assignee=OuterRef("pk"))
        .order_by()
        .values("assignee")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        coordinators()
        .annotate(open_tasks=Coalesce(Subquery(open_tasks), 0))
        .order_by("open_tasks", "pk")
    )


def coordinator_with_fewest_open_tasks():
    return coordinators_by_open_tasks().first()
