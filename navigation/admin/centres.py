"""The specialist centres a case can be matched to."""

from django.contrib import admin

from navigation.forms import CentreAdminForm
from navigation.models import Centre


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    form = CentreAdminForm
    list_display = [
        "name",
        "city",
        "country",
        "offers_adjuvant_cik",
        "offers_cik_first_line",
        "her2_experience",
        "intraperitoneal_cik_trials",
        "languages",
        "is_example",
        "active",
    ]
    list_filter = [
        "active",
        "is_example",
        "offers_adjuvant_cik",
        "offers_cik_first_line",
        "her2_experience",
        "intraperitoneal_cik_trials",
        "country",
    ]
    search_fields = ["name", "city", "languages"]
