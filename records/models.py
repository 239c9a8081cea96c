"""Patients' records: who they are, their clinical profile, consent and documents.

This is health information. Nothing here is ever served from a public URL; files live in
private storage and are reached only through permission-checked, audited views.
`records` never imports `navigation`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    email = models.EmailField(db_index=True)
    phone = models.CharField(max_length=32, help_text=_("In international format, e.g. +44…"))
    country = models.CharField(max_length=100)
    preferred_language = models.CharField(max_length=50, default="English")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Patient {self.public_id.hex[:8]}"


class Unknown(models.TextChoices):
    """Shared "I don't know" value for choice questions."""

    UNKNOWN = "unknown", _("I don't know")


class ClinicalProfile(models.Model):
    """Clinical facts as the patient reports them. Null means "I don't know".

    Shaped to map onto mCODE / FHIR later: stage group and TNM, histology (Lauren),
    HER2 by IHC and ISH, ECOG, surgery, systemic therapy lines.
    """

    class Stage(models.TextChoices):
        I = "I", "I"  # noqa: E741
        IA = "IA", "IA"
        IB = "IB", "IB"
        II = "II", "II"
        IIA = "IIA", "IIA"
        IIB = "IIB", "IIB"
        III = "III", "III"
        IIIA = "IIIA", "IIIA"
        IIIB = "IIIB", "IIIB"
        IIIC = "IIIC", "IIIC"
        IV = "IV", "IV"

    class Lauren(models.TextChoices):
        INTESTINAL = "intestinal", _("Intestinal")
        DIFFUSE = "diffuse", _("Diffuse")
        MIXED = "mixed", _("Mixed")
        INDETERMINATE = "indeterminate", _("Indeterminate")

    class Her2Ihc(models.TextChoices):
        IHC0 = "0", "0"
        IHC1 = "1+", "1+"
        IHC2 = "2+", "2+"
        IHC3 = "3+", "3+"

    class Her2Ish(models.TextChoices):
        POSITIVE = "positive", _("Positive (amplified)")
        NEGATIVE = "negative", _("Negative (not amplified)")
        NOT_DONE = "not_done", _("Not done")

    class Gastrectomy(models.TextChoices):
        D2 = "d2", _("Gastrectomy with D2 lymph node dissection")
        OTHER = "other", _("Other gastric surgery")
        NONE = "none", _("No surgery")

    class Regimen(models.TextChoices):
        FOLFOX = "FOLFOX", "FOLFOX"
        XELOX = "XELOX", "XELOX (CAPOX)"
        SOX = "SOX", "SOX"
        FLOT = "FLOT", "FLOT"
        OTHER = "other", _("Another regimen")
        NONE = "none", _("None")

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

    def __str__(self) -> str:
        return f"Clinical profile of {self.patient}"

    @property
    def her2_status(self) -> str:
        """HER2 status from IHC and ISH: '' when it cannot be derived."""
        if self.her2_ihc == self.Her2Ihc.IHC3:
            return "positive"
        if self.her2_ihc == self.Her2Ihc.IHC2:
            if self.her2_ish == self.Her2Ish.POSITIVE:
                return "positive"
            if self.her2_ish == self.Her2Ish.NEGATIVE:
                return "negative"
            return "equivocal"
        if self.her2_ihc in (self.Her2Ihc.IHC0, self.Her2Ihc.IHC1):
            return "negative"
        return ""


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
    session_key = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
        return self.status == ScanStatus.CLEAN


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every staff or patient view of patient data.

    `patient_ref` holds the patient's public id, not a foreign key, so the trail outlives an
    erasure without keeping any personal data.
    """

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", _("Viewed case")
        VIEW_RECORDS = "view_records", _("Viewed records")
        DOWNLOAD_DOCUMENT = "download_document", _("Downloaded document")
        DOWNLOAD_SUMMARY = "download_summary", _("Downloaded oncology summary")
        EXPORT = "export", _("Exported data")

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=Action.choices)
    patient_ref = models.UUIDField(db_index=True)
    target = models.CharField(max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target} at {self.at:%Y-%m-%d %H:%M}"
