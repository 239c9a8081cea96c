"""The outbox, read-only."""

from django.contrib import admin
from django.http import HttpRequest

from navigation.models import Outbox


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    """Read-only view of work waiting for the broker, for when the queue is down."""

    list_display = ["kind", "case", "created_at", "sent_at", "attempts"]
    list_filter = ["kind", "sent_at"]
    list_select_related = ["case"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
