"""Cases and the coordinators' work on them.

A case follows one submission through the service's steps. Status moves only by a
conditional UPDATE (see `Case.transition`), and every move writes a `CaseEvent`.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from records.models import DocumentCategory, Patient


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    RECORDS_REQUESTED = "records_requested", _("Records requested")
    SUMMARY_PREPARED = "summary_prepared", _("Summary prepared")
    CENTRE_MATCHED = "centre_matched", _("Centre matched")
    CONSULTATION_SCHEDULED = "consultation_scheduled", _("Consultation scheduled")
    IN_TREATMENT = "in_treatment", _("In treatment")
    FOLLOW_UP = "follow_up", _("Follow-up")
    NOT_SUITABLE = "not_suitable", _("Not suitable: alternatives offered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMPLETED = "completed", _("Completed")


CLOSED_STATUSES = frozenset({CaseStatus.NOT_SUITABLE, CaseStatus.WITHDRAWN, CaseStatus.COMPLETED})


def new_reference() -> str:
    """A reference a patient can read out on the phone: no 0/O or 1/I to confuse."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "CF-" + "".join(secrets.choice(alphabet) for _ in range(8))


class CaseQuerySet(models.QuerySet):
    def open(self) -> "CaseQuerySet":
        return self.exclude(status__in=CLOSED_STATUSES)

    def locked(self) -> "CaseQuerySet":
        """Cases locked for this transaction, with their patient: work on one case (review,
        re-screen, summary) is serialised against a redelivered or concurrent run. Only the
        case rows are locked, so the patient's own writes are not held up."""
        return self.select_for_update(of=("self",)).select_related("patient")


class Case(models.Model):
    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="case")
    status = models.CharField(
        max_length=30, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    # Latest pre-screen: outcome, per-criterion statuses and the rule-set version.
    prescreen_outcome = models.CharField(max_length=30, blank=True, db_index=True)
    prescreen_result = models.JSONField(default=dict, blank=True)
    prescreen_rule_set_version = models.CharField(max_length=20, blank=True)
    # The outcome before a new rule set changed it, while the latest pre-screen is that
    # re-screen (a later pre-screen of new answers clears it): the queue lists these cases.
    prescreen_changed_from = models.CharField(max_length=30, blank=True)
    missing_records = models.JSONField(default=list, blank=True)
    missing_records_count = models.PositiveSmallIntegerField(default=0)
    centre = models.ForeignKey(
        "Centre", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # The key the submission form carried: sending the same form again (a retry after an
    # error, a double click) finds this case instead of opening a second one.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The queue's "outcome changed by new rules" filter: few cases, found (and counted)
            # without reading every case.
            models.Index(
                fields=["-created_at"],
                condition=~models.Q(prescreen_changed_from=""),
                name="case_rescreen_changed",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class CaseEventKind(models.TextChoices):
    """What a history row records, for code to read (never the note's wording)."""

    STATUS_CHANGED = "status_changed", _("Status changed")
    ERASURE_REQUESTED = "erasure_requested", _("Erasure requested by the patient")
    RECORDS_REQUESTED = "records_requested", _("Records requested")
    RECORD_RECEIVED = "record_received", _("Requested record received")
    RECORDS_REQUEST_CLOSED = "records_request_closed", _("Records request closed")
    DOCUMENTS_RECEIVED = "documents_received", _("Documents received")
    OTHER = "other", _("Other")


class CaseEvent(models.Model):
    """History of a case: every status move and notable action, with who and when.

    `kind` and `data` are what code reads; `note` is for people."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(max_length=30, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=CaseStatus.choices, blank=True)
    kind = models.CharField(
        max_length=30, choices=CaseEventKind.choices, default=CaseEventKind.OTHER, db_index=True
    )
    data = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_status} → {self.to_status}"


class Outbox(models.Model):
    """Work to hand to the broker, written in the same transaction as the case.

    "Sent" is delivery: the broker took the task. "Done" is completion: the work is
    recorded (for a case review, its review task row exists), set in the transaction that
    records it. The reconciler sends unsent rows, re-sends rows sent but not done after a
    grace period (a broker that lost its data, a task that gave up), and finds open cases
    without a review whatever their row says.
    """

    class Kind(models.TextChoices):
        OPEN_CASE_REVIEW = "open_case_review", _("Open case review")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outbox")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A publisher claims a row by a conditional UPDATE of this lease, so two sweepers (or a
    # sweeper and the after-commit publish) never hand the same row to the broker at once.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "case"], name="one_outbox_row_per_kind_case")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.case}"


class ReviewTaskQuerySet(models.QuerySet):
    def open(self) -> "ReviewTaskQuerySet":
        return self.filter(done_at__isnull=True)

    def overdue(self, now) -> "ReviewTaskQuerySet":
        return self.open().filter(due_at__lt=now)


class ReviewTask(models.Model):
    """A coordinator's review of a case. One per case and kind (idempotent task)."""

    class Kind(models.TextChoices):
        INITIAL_REVIEW = "initial_review", _("Initial case review")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="review_tasks")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.INITIAL_REVIEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_tasks",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Set in the same transaction that sends the coordinators' email: one email per task.
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewTaskQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="one_review_task_per_case_kind")
        ]
        indexes = [
            # Open tasks per coordinator, for assigning the next review: it reads only the
            # open tasks, never the done ones that pile up over the years.
            models.Index(
                fields=["assignee"],
                condition=models.Q(done_at__isnull=True),
                name="review_task_open_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case}"


class RecordsRequest(models.Model):
    """A coordinator's request for missing records, shown in the patient's portal.

    An item is received only by a document of its category uploaded after the request, or
    when a coordinator marks it received (the only way for a free-text item). The request is
    fulfilled when every item is received, or closed by a coordinator with a note.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="records_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    items = models.JSONField(default=list)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    # item -> {"at": ISO time, "by": "upload" | "coordinator", "document": public id}
    received = models.JSONField(default=dict, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    close_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Records request for {self.case}"

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and self.closed_at is None

    @property
    def item_labels(self) -> list[str]:
        """Items as the patient reads them: document categories by their label."""
        labels = dict(DocumentCategory.choices)
        return [str(labels.get(item, item)) for item in self.items]

    @property
    def item_states(self) -> list[dict]:
        """Each item with its label and state: "received", "waiting" or "closed"."""
        states = []
        for item, label in zip(self.items, self.item_labels, strict=True):
            received = self.received.get(item)
            state = "received" if received else ("waiting" if self.is_open else "closed")
            states.append(
                {
                    "index": len(states),
                    "item": item,
                    "label": label,
                    "state": state,
                    "received_by": received.get("by", "") if received else "",
                    "is_category": item in DocumentCategory.values,
                }
            )
        return states


class CaseNote(models.Model):
    """Internal note by a coordinator; never shown to the patient."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Note on {self.case}"


class Centre(models.Model):
    """A specialist centre we can refer patients to."""

    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=100, default="China")
    offers_adjuvant_cik = models.BooleanField(default=False)
    offers_cik_first_line = models.BooleanField(default=False)
    her2_experience = models.BooleanField(default=False)
    intraperitoneal_cik_trials = models.BooleanField(default=False)
    languages = models.CharField(max_length=200, help_text=_("Comma-separated"))
    contact = models.TextField(blank=True)
    is_example = models.BooleanField(default=False, help_text=_("Demo data: not a real centre."))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})" + (" — example" if self.is_example else "")


class OncologySummary(models.Model):
    """The structured oncology summary PDF, kept in private storage."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="summary")
    storage_name = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    built_at = models.DateTimeField()
    profile_updated_at = models.DateTimeField(
        help_text=_("The profile version the summary was built from.")
    )

    def __str__(self) -> str:
        return f"Oncology summary for {self.case}"


class PortalToken(models.Model):
    """A single-use portal sign-in link. Only the token's hash is stored.

    `patients` are those whose canonical address equalled `email` when the link was issued:
    the session the link opens reaches their cases and no others, whatever is added later.
    """

    email = models.EmailField(db_index=True)
    patients = models.ManyToManyField(Patient, related_name="+", blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Portal sign-in link ({self.created_at:%Y-%m-%d %H:%M})"


class PortalSignInRequest(models.Model):
    """One request for a portal sign-in link, for any address, known or not.

    The sign-in view writes this row and nothing else, the same work for every address, so
    its response time cannot tell whether we hold a case for it. A task reads the row after
    commit, mails a link only when there are cases, and blanks the address.
    """

    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Portal sign-in request ({self.created_at:%Y-%m-%d %H:%M})"
