"""Coordinators' view of patients' records. Content editors have no records permission,
so every page here answers them 403. Opening a patient's page is audited."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from records.admin.auditing import audit_list, audit_view, download_link, shown
from records.models import ClinicalProfile, Consent, Document, Patient


class ClinicalProfileInline(admin.StackedInline):
    model = ClinicalProfile
    can_delete = False
    readonly_fields = ["her2_status", "updated_at"]
    fieldsets = [
        (None, {"fields": ["diagnosis_date", "stage", ("tnm_t", "tnm_n", "tnm_m")]}),
        (_("Histology"), {"fields": ["lauren_type", "signet_ring"]}),
        (
            _("HER2"),
            {"fields": ["her2_ihc", "her2_ish", "her2_reported_status", "her2_status"]},
        ),
        (_("Condition"), {"fields": ["ecog", "severe_malnutrition"]}),
        (_("Surgery"), {"fields": ["gastrectomy", "surgery_date", "curative_intent"]}),
        (_("Spread"), {"fields": ["metastatic", "peritoneal_metastasis"]}),
        (
            _("Systemic therapy"),
            {"fields": ["prior_lines", "first_line_regimen", "trastuzumab", "treatment_history"]},
        ),
        (None, {"fields": ["updated_at"]}),
    ]

    @admin.display(description=_("HER2 status"))
    def her2_status(self, obj: ClinicalProfile) -> str:
        return obj.her2_status or str(_("unknown"))


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("text_version", "text_sha256", "given_at", "withdrawn_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DocumentInline(admin.TabularInline):
    model = Document
    fk_name = "patient"
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "category",
        "original_name",
        "size",
        "sha256",
        "status",
        "uploaded_at",
        "download",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("File"))
    def download(self, obj: Document) -> str:
        return download_link(obj)


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["__str__", "full_name", "email", "country", "relationship", "created_at"]
    list_filter = ["relationship", "country", "created_at"]
    search_fields = ["full_name", "email", "public_id"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [ClinicalProfileInline, ConsentInline, DocumentInline]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A stock delete would leave the patient's files, portal links and sessions behind:
        # a patient goes only by erasure, confirmed on their case's page.
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        audit_list(request, response, patient_of=lambda patient: patient, target="patient list")
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        patient = shown(request, response, "original")
        if patient is not None:
            audit_view(request, patient=patient, target=f"patient:{patient.public_id}")
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # The history lists who changed which of the patient's fields: a view of their record.
        response = super().history_view(request, object_id, extra_context)
        patient = shown(request, response, "object")
        if patient is not None:
            audit_view(request, patient=patient, target=f"patient:{patient.public_id} history")
        return response
