"""The audit trail, read-only."""

from django.contrib import admin

from records.models import AuditEvent


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
