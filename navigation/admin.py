from django.contrib import admin

from navigation.models import Case


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "status", "prescreen_outcome", "assignee", "created_at"]
