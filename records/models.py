"""Patients' records: who they are, their clinical profile, consent and documents.

This is health information. Nothing here is ever served from a public URL; files live in
private storage and are reached only through permission-checked, audited views.
`records` never imports `navigation`.
"""

import operator
import uuid
from functools import reduce
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from records import vocabulary
from records.emails import CanonicalEmailField, email_canonical_or_none

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Relationship(models.TextChoices):
    SELF = "self", _("I am the patient")
    FAMILY = "family", _("Family member")
    DOCTOR = "doctor", _("Doctor")


class Patient(models.Model):
    """The person a submission is about, with how to reach whoever submitted it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("patient's full name"), max_length=200)
    date_of_birth = models.DateField(_("patient's date of birth"))
    contact_name = models.CharField(
        _("your name"), max_length=200, blank=True, help_text=_("If you are not the patient.")
    )
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    # Canonical (records.emails): the portal matches it by exact equality, never iexact.
    email = CanonicalEmailField(db_index=True)
    phone = models.CharField(max_length=32, help_text=_("In international format, e.g. +44…"))
    country = models.CharField(max_length=100)
    preferred_language = models.CharField(max_length=50, default="English")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The coordinators' search by name (trigram word similarity). PostgreSQL only:
            # its migration creates it, and the pg_trgm extension, only there.
            GinIndex(OpClass("full_name", name="gin_trgm_ops"), name="patient_full_name_trgm"),
        ]

    def __str__(self) -> str:
        return f"Patient {self.public_id.hex[:8]}"

    def save(self, *args, **kwargs) -> None:
        # Forms already clean to the canonical form; this covers rows written by code.
        self.email = email_canonical_or_none(self.email) or self.email
        super().save(*args, **kwargs)

    @property
    def clinical_profile(self) -> "ClinicalProfile | None":
        """The clinical profile; None when there is none (the one way to read it)."""
        try:
            return self.profile
        except ClinicalProfile.DoesNotExist:
            return None


# HER2 in gastric cancer from the test scores (ASCO/CAP). Rows: IHC score, ISH results it
# applies to (None: any), status. The database derives `ClinicalProfile.her2_status` and
# `her2_discordant` from it, so Python and queries read one stored value.
HER2_FROM_TESTS: tuple[tuple[str, tuple[str, ...] | None, str], ...] = (
    ("3+", None, "positive"),
    ("2+", ("positive",), "positive"),
    ("2+", ("negative",), "negative"),
    ("2+", ("", "not_done", "pending"), "equivocal"),
    ("1+", None, "negative"),
    ("0", None, "negative"),
)


def _her2_scores_give(status: str) -> models.Q:
    """The test scores that give `status`, from HER2_FROM_TESTS."""
    return reduce(
        operator.or_,
        (
            models.Q(her2_ihc=ihc, **({"her2_ish__in": ish} if ish is not None else {}))
            for ihc, ish, rule_status in HER2_FROM_TESTS
            if rule_status == status
        ),
    )


HER2_STATUSES = tuple(dict.fromkeys(row[2] for row in HER2_FROM_TESTS))
# The scores win; without an IHC score, what the patient reported ("" when nobody knows).
HER2_STATUS = models.Case(
    *(
        models.When(_her2_scores_give(status), then=models.Value(status))
        for status in HER2_STATUSES
    ),
    default=models.F("her2_reported_status"),
)
# A reported status that disagrees with what the scores give.
HER2_DISCORDANT = models.Case(
    *(
        models.When(
            _her2_scores_give(status) & ~models.Q(her2_reported_status__in=["", status]),
            then=models.Value(True),
        )
        for status in HER2_STATUSES
    ),
    default=models.Value(False),
)


class ClinicalProfile(models.Model):
    """Clinical facts as the patient reports them. Null means "I don't know".

    Shaped to map onto mCODE / FHIR later: stage group and TNM, histology (Lauren),
    HER2 by IHC and ISH, ECOG, surgery, systemic therapy lines.
    """

    # The choices the intake and the checker offer (records.vocabulary defines them once).
    Stage = vocabulary.Stage
    Lauren = vocabulary.Lauren
    Gastrectomy = vocabulary.Gastrectomy
    Regimen = vocabulary.Regimen
    Her2Reported = vocabulary.Her2Reported

    class Her2Ihc(models.TextChoices):
        IHC0 = "0", "0"
        IHC1 = "1+", "1+"
        IHC2 = "2+", "2+"
        IHC3 = "3+", "3+"

    class Her2Ish(models.TextChoices):
        POSITIVE = "positive", _("Positive (amplified)")
        NEGATIVE = "negative", _("Negative (not amplified)")
        NOT_DONE = "not_done", _("Not done")
        PENDING = "pending", _("Pending")

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="profile")
    diagnosis_date = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=4, choices=Stage.choices, blank=True)
    tnm_t = models.CharField("T", max_length=8, blank=True)
    tnm_n = models.CharField("N", max_length=8, blank=True)
    tnm_m = models.CharField("M", max_length=8, blank=True)
    lauren_type = models.CharField(max_length=13, choices=Lauren.choices, blank=True)
    signet_ring = models.BooleanField(null=True, blank=True)
    her2_ihc = models.CharField(max_length=2, choices=Her2Ihc.choices, blank=True)
    her2_ish = models.CharField(max_length=8, choices=Her2Ish.choices, blank=True)
    # What the patient was told when they do not know the scores (e.g. carried over from the
    # pre-screen); the scores win when both are given.
    her2_reported_status = models.CharField(max_length=9, choices=Her2Reported.choices, blank=True)
    her2_status = models.GeneratedField(
        expression=HER2_STATUS,
        output_field=models.CharField(max_length=9, choices=Her2Reported.choices, blank=True),
        db_persist=True,
        help_text=_("From the IHC and ISH scores, else as reported; empty when nobody knows."),
    )
    her2_discordant = models.GeneratedField(
        expression=HER2_DISCORDANT,
        output_field=models.BooleanField(),
        db_persist=True,
        help_text=_("The reported HER2 status disagrees with what the test scores give."),
    )
    ecog = models.PositiveSmallIntegerField(null=True, blank=True)
    severe_malnutrition = models.BooleanField(null=True, blank=True)
    gastrectomy = models.CharField(max_length=5, choices=Gastrectomy.choices, blank=True)
    surgery_date = models.DateField(null=True, blank=True)
    curative_intent = models.BooleanField(null=True, blank=True)
    metastatic = models.BooleanField(null=True, blank=True)
    peritoneal_metastasis = models.BooleanField(null=True, blank=True)
    prior_lines = models.PositiveSmallIntegerField(null=True, blank=True)
    first_line_regimen = models.CharField(max_length=6, choices=Regimen.choices, blank=True)
    trastuzumab = models.BooleanField(null=True, blank=True)
    treatment_history = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ecog__isnull=True) | models.Q(ecog__lte=4),
                name="profile_ecog_0_to_4",
            )
        ]
        indexes = [
            # The coordinators' "HER2 results disagree" filter: few profiles, found (and
            # counted) without reading every profile.
            models.Index(
                fields=["patient"],
                condition=models.Q(her2_discordant=True),
                name="profile_her2_discordant",
            ),
        ]

    def __str__(self) -> str:
        return f"Clinical profile of {self.patient}"


HER2_DISCORDANT_WORDS = _("HER2 results disagree — check the report")


class Consent(models.Model):
    """An explicit consent to process health data for case review, with the exact text."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    text_version = models.CharField(max_length=20)
    text_sha256 = models.CharField(max_length=64)
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Consent {self.text_version} by {self.patient}"


class UploadDraft(models.Model):
    """Files uploaded before the form is submitted, owned by one browser session."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Unique: files chosen together upload in parallel, and each request may be the first
    # to need the draft; the constraint makes them all land in the same one.
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The answers typed so far ({field name: [values]}), kept so that a reload, a lost
    # connection or "continue later" loses nothing. Removed with the draft.
    answers = models.JSONField(default=dict, blank=True)
    # SHA-256 of the latest "continue later" link's token; emptied when the link is used.
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # A "continue later" link was mailed: kept as long as the link lasts, not the day an
    # abandoned draft gets (records.services.drafts.drafts_expire).
    kept_for_later = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Upload draft {self.key.hex[:8]}"


class DocumentCategory(models.TextChoices):
    PATHOLOGY = "pathology", _("Pathology report")
    HER2 = "her2", _("HER2 test report")
    IMAGING = "imaging", _("Staging imaging (CT/PET report or DICOM images)")
    SURGERY = "surgery", _("Surgical report")
    CHEMOTHERAPY = "chemotherapy", _("Chemotherapy history")
    OTHER = "other", _("Other")


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("Pending scan")
    CLEAN = "clean", _("Clean")
    INFECTED = "infected", _("Infected (quarantined)")
    # Development only (no CLAMD_ADDRESS outside production): downloadable, with a warning.
    UNSCANNED = "unscanned", _("Not scanned (no scanner in development)")


# What may leave storage: a clean verdict, or development's "no scanner" marking.
DOWNLOADABLE_STATUSES = frozenset({ScanStatus.CLEAN, ScanStatus.UNSCANNED})


# What the portal says about a file's scan. A state added for staff without words here
# shows its staff label.
PATIENT_SCAN_WORDS: "dict[str, StrOrPromise]" = {
    ScanStatus.PENDING: _("Being checked for viruses"),
    ScanStatus.CLEAN: _("Checked, no virus found"),
    ScanStatus.INFECTED: _("Not accepted: the virus check found a problem"),
}


class DocumentQuerySet(models.QuerySet):
    def pending(self) -> "DocumentQuerySet":
        return self.filter(status=ScanStatus.PENDING)

    def clean(self) -> "DocumentQuerySet":
        return self.filter(status=ScanStatus.CLEAN)

    def in_draft(self, draft: "UploadDraft") -> "DocumentQuerySet":
        return self.filter(draft=draft, patient__isnull=True)

    def totals(self) -> tuple[int, int]:
        """(count, bytes) of these documents, for the upload limits."""
        agg = self.aggregate(n=models.Count("pk"), size=Sum("size"))
        return agg["n"] or 0, agg["size"] or 0


class Document(models.Model):
    """One uploaded file. Stored under a random name; offered only once it is clean."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    draft = models.ForeignKey(
        UploadDraft, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    category = models.CharField(max_length=20, choices=DocumentCategory.choices)
    original_name = models.CharField(max_length=255)
    storage_name = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    # The file's own data key, wrapped by the key-encryption key `key_id` (see
    # records/encryption.py). Empty: stored in plain (before encryption, or with it off).
    key_id = models.CharField(max_length=40, blank=True)
    wrapped_key = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING, db_index=True
    )
    scan_detail = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    uploaded_by_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    # Not stored: set by the upload services when the same bytes were already there.
    duplicate = False

    class Meta:
        ordering = ["category", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(patient__isnull=False) | models.Q(draft__isnull=False),
                name="document_belongs_somewhere",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.public_id.hex[:8]})"

    @property
    def is_downloadable(self) -> bool:
        return self.status in DOWNLOADABLE_STATUSES

    @property
    def is_unscanned(self) -> bool:
        return self.status == ScanStatus.UNSCANNED

    @property
    def status_for_patient(self) -> str:
        """The scan state in the words a patient reads in the portal (staff see the label)."""
        return str(PATIENT_SCAN_WORDS.get(self.status, self.get_status_display()))


class ResumableUpload(models.Model):
    """A file arriving in pieces over the resumable upload protocol (records/tus.py).

    Its bytes so far wait, encrypted, in a partial file (records/partials.py) until the last
    piece; then it is checked and stored as a Document like any upload. It belongs to the
    draft or the patient it was created for and, for a patient, to the signed-in browser
    session that created it: nobody else can see or continue it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    draft = models.ForeignKey(
        UploadDraft, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # SHA-256 of the session key that created it (empty for a draft: the draft itself is
    # the browser's, and follows it when a sign-in changes the session key).
    session_hash = models.CharField(max_length=64, blank=True)
    category = models.CharField(max_length=20, choices=DocumentCategory.choices)
    name = models.CharField(max_length=255)
    length = models.PositiveBigIntegerField()
    # Bytes received and safely kept; only this is trusted when the upload continues.
    offset = models.PositiveBigIntegerField(default=0)
    # The partial file's data key, wrapped as a document's is (empty: encryption off).
    key_id = models.CharField(max_length=40, blank=True)
    wrapped_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Renewed by every piece received; after it the partial file is removed.
    expires_at = models.DateTimeField(db_index=True)
    # Once complete: the stored document, or why the file was refused.
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate = models.BooleanField(default=False)
    refused = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(patient__isnull=False) | models.Q(draft__isnull=False),
                name="resumable_upload_belongs_somewhere",
            )
        ]

    def __str__(self) -> str:
        return f"Resumable upload {self.public_id.hex[:8]}"

    @property
    def is_complete(self) -> bool:
        return self.offset == self.length


class AuditTrailIsAppendOnly(Exception):
    """Audit rows are written once and never changed or removed."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be updated")

    def delete(self):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")

    def for_patient(self, patient: Patient) -> "AuditEventQuerySet":
        """Views of this patient's data: of their records, or of a list that showed them."""
        ref = str(patient.public_id)
        return self.filter(models.Q(patient_ref=ref) | models.Q(patients_shown__contains=ref))


class AuditEvent(models.Model):
    """Append-only, HMAC-chained record of every staff or patient view of patient data.

    `patient_ref` holds the patient's public id, not a foreign key, so the trail outlives an
    erasure without keeping any personal data. A list (the case queue, a search, an
    autocomplete answer) is one row: `patients_shown` names every patient on it by public id,
    `query` holds its parameters with any search term replaced by a keyed digest, so the
    trail can answer "who searched for X" without keeping X.
    """

    # The app's database role may only INSERT and SELECT this table (cancerfax/roles.py).
    append_only = True

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", _("Viewed case")
        VIEW_RECORDS = "view_records", _("Viewed records")
        DOWNLOAD_DOCUMENT = "download_document", _("Downloaded document")
        DOWNLOAD_SUMMARY = "download_summary", _("Downloaded oncology summary")
        EXPORT = "export", _("Exported data")
        DOWNLOAD_REFUSED = "download_refused", _("Download refused (file changed)")
        VIEW_LIST = "view_list", _("Viewed a list")

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=Action.choices)
    patient_ref = models.UUIDField(null=True, blank=True, db_index=True)
    patients_shown = models.TextField(blank=True)
    query = models.CharField(max_length=300, blank=True)
    target = models.CharField(max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Unique: two writers that read the same last row cannot both append after it, so the
    # chain can never fork, whatever the database's locking.
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")
