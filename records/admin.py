"""Coordinators' view of patients' records. Content editors have no records permission,
so every page here answers them 403. Opening a patient's page is audited; files leave
only through the audited download view."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from records import views
from records.audit import audit_list_record, audit_record
from records.models import (
    AuditEvent,
    ClinicalProfile,
    Consent,
    Document,
    Patient,
)
from records.scanning import documents_rescan_pending


def download_link(document: Document) -> str:
    if not document.is_downloadable or document.patient_id is None:
        return "—"
    url = reverse("admin:records_document_download", args=[document.public_id])
    return format_html('<a href="{}">{}</a>', url, _("Download"))


def _shown(request: HttpRequest, response: HttpResponse, key: str):
    """The object an admin page actually showed: a 200 answer to a read, else None.

    Taken from the response's context, so a 403, a 404 or a redirect is never audited and
    the row is not read a second time. A POST answered with the page again (a form with
    errors) shows the record as much as a GET does."""
    if response.status_code != 200:
        return None
    return getattr(response, "context_data", {}).get(key)


def audit_list(
    request: HttpRequest,
    response: HttpResponse,
    *,
    patient_of: Callable[[Any], Patient | None],
    target: str,
) -> None:
    """One audit row for a list page of patient data as it was rendered: its query (search
    terms as digests) and every patient on the page, even none (a search that finds nobody
    still tells whether someone is on file)."""
    changelist = getattr(response, "context_data", {}).get("cl")
    if response.status_code != 200 or changelist is None:
        return
    audit_list_record(
        request=request,
        patients=[patient_of(row) for row in changelist.result_list],
        target=target,
    )


def _audit_view(request: HttpRequest, *, patient: Patient, target: str) -> None:
    audit_record(
        actor=request.user,
        actor_label=request.user.get_username(),
        action=AuditEvent.Action.VIEW_RECORDS,
        patient=patient,
        target=target,
        request=request,
    )


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
        return obj.her2_status or _("unknown")


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["text_version", "text_sha256", "given_at", "withdrawn_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DocumentInline(admin.TabularInline):
    model = Document
    fk_name = "patient"
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "category",
        "original_name",
        "size",
        "sha256",
        "status",
        "uploaded_at",
        "download",
    ]

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
        patient = _shown(request, response, "original")
        if patient is not None:
            _audit_view(request, patient=patient, target=f"patient:{patient.public_id}")
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # The history lists who changed which of the patient's fields: a view of their record.
        response = super().history_view(request, object_id, extra_context)
        patient = _shown(request, response, "object")
        if patient is not None:
            _audit_view(request, patient=patient, target=f"patient:{patient.public_id} history")
        return response


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "category",
        "patient",
        "size",
        "short_sha256",
        "status",
        "uploaded_at",
        "download",
    ]
    list_filter = ["status", "category", "uploaded_at"]
    list_select_related = ["patient"]
    search_fields = ["public_id", "sha256", "patient__public_id"]
    readonly_fields = [
        "public_id",
        "patient",
        "draft",
        "category",
        "original_name",
        "size",
        "sha256",
        "content_type",
        "status",
        "scan_detail",
        "scanned_at",
        "uploaded_by_staff",
        "uploaded_at",
        "download",
    ]
    exclude = ["storage_name"]
    actions = ["rescan_pending"]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        audit_list(request, response, patient_of=lambda doc: doc.patient, target="document list")
        return response

    def get_urls(self):
        return [
            path(
                "<uuid:public_id>/download/",
                self.admin_site.admin_view(views.document_download),
                name="records_document_download",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        document = _shown(request, response, "original")
        # A file still in an unsubmitted draft belongs to no patient yet: nobody to name.
        if document is not None and document.patient is not None:
            _audit_view(request, patient=document.patient, target=f"document:{document.public_id}")
        return response

    # Files arrive through the intake and portal services only; rows change by scanning.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("Reference"))
    def short_id(self, obj: Document) -> str:
        return obj.public_id.hex[:8]

    @admin.display(description="SHA-256")
    def short_sha256(self, obj: Document) -> str:
        return obj.sha256[:16] + "…"

    @admin.display(description=_("File"))
    def download(self, obj: Document) -> str:
        return download_link(obj)

    @admin.action(description=_("Scan pending documents again now"), permissions=["view"])
    def rescan_pending(self, request: HttpRequest, queryset) -> None:
        count = documents_rescan_pending(older_than=timedelta(0))
        self.message_user(
            request, _("%(n)d pending document(s) queued for scanning.") % {"n": count}
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "patient_ref", "target", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["patient_ref", "actor_label", "target"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # The trail is append-only: nobody adds, edits or deletes a row here.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
