"""Coordinators' view of uploaded documents: metadata and scan status, read-only; the file
itself only through the audited download."""

from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from records.admin.auditing import audit_list, audit_view, download_link, shown
from records.models import Document
from records.services.scanning import documents_rescan_pending
from records.views import staff


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
                self.admin_site.admin_view(staff.document_download),
                name="records_document_download",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        document = shown(request, response, "original")
        # A file still in an unsubmitted draft belongs to no patient yet: nobody to name.
        if document is not None and document.patient is not None:
            audit_view(request, patient=document.patient, target=f"document:{document.public_id}")
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
