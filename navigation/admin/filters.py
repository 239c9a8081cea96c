"""The case queue's filters. Each ignores a value not among its own choices."""

from datetime import timedelta

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cancerfax.roles import coordinators
from navigation import eligibility
from navigation.models import ReviewTask
from navigation.selectors import profile_answer_q
from records.models import HER2_DISCORDANT_WORDS, ClinicalProfile
from records.vocabulary import UNKNOWN


class KnownValuesFilter(admin.SimpleListFilter):
    """A filter that ignores any value not among its own choices: a hand-edited URL
    (`?assignee=x`) shows the unfiltered queue instead of reaching the database."""

    def value(self) -> str | None:
        value = super().value()
        known = {str(key) for key, _label in self.lookup_choices}
        return value if value in known else None


class MyCasesFilter(KnownValuesFilter):
    title = "my cases"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", "Assigned to me"), ("unassigned", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OutcomeFilter(KnownValuesFilter):
    title = "pre-screen outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [(o.value, eligibility.outcome_label(o.value)) for o in eligibility.Outcome] + [
            ("none", "not screened yet")
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(prescreen_outcome="")
        if self.value():
            return queryset.filter(prescreen_outcome=self.value())
        return queryset


class RescreenFilter(KnownValuesFilter):
    title = "new rules"
    parameter_name = "rescreen"

    def lookups(self, request, model_admin):
        return [("changed", "Outcome changed by new rules")]

    def queryset(self, request, queryset):
        if self.value() == "changed":
            return queryset.exclude(prescreen_changed_from="")
        return queryset


class Her2Filter(KnownValuesFilter):
    title = "HER2"
    parameter_name = "her2"

    def lookups(self, request, model_admin):
        return [
            ("positive", "Positive"),
            ("negative", "Negative"),
            ("equivocal", "Equivocal"),
            (UNKNOWN, "Not known"),
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(profile_answer_q("her2_status", self.value()))
        return queryset


class Her2DiscordantFilter(KnownValuesFilter):
    title = "HER2 results"
    parameter_name = "her2_check"

    def lookups(self, request, model_admin):
        return [("disagree", str(HER2_DISCORDANT_WORDS))]

    def queryset(self, request, queryset):
        if self.value() == "disagree":
            return queryset.filter(patient__profile__her2_discordant=True)
        return queryset


class LaurenFilter(KnownValuesFilter):
    title = "Lauren type"
    parameter_name = "lauren"

    def lookups(self, request, model_admin):
        return list(ClinicalProfile.Lauren.choices) + [(UNKNOWN, "Not known")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(profile_answer_q("lauren_type", self.value()))
        return queryset


class StageFilter(KnownValuesFilter):
    title = "stage"
    parameter_name = "stage"
    # The pre-screen's groups: IVA (locally advanced, M0) apart from IV and IVB (M1).
    groups = eligibility.STAGE_GROUPS

    def lookups(self, request, model_admin):
        return [(g, f"Stage {g}") for g in self.groups] + [(UNKNOWN, "Not known")]

    def queryset(self, request, queryset):
        if self.value() == UNKNOWN:
            return queryset.filter(profile_answer_q("stage", UNKNOWN))
        if self.value() in self.groups:
            stages = [s for s, g in eligibility.STAGE_GROUP_OF.items() if g == self.value()]
            return queryset.filter(patient__profile__stage__in=stages)
        return queryset


class AssigneeFilter(KnownValuesFilter):
    """The coordinators, from the users table: not a DISTINCT over every case, as the stock
    related-only filter would run on each page load."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [(str(user.pk), user.get_username()) for user in coordinators()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(assignee_id=self.value())
        return queryset


class MissingFilter(KnownValuesFilter):
    title = "missing records"
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("yes", "Some missing"), ("no", "Complete")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(missing_records_count__gt=0)
        if self.value() == "no":
            return queryset.filter(missing_records_count=0)
        return queryset


class DueFilter(KnownValuesFilter):
    title = "review due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("24h", "Due within 24 hours"), ("none", "No open task")]

    def queryset(self, request, queryset):
        # EXISTS on the open tasks (their partial index), not a comparison with the shown due
        # time: that subquery would run once per case, every case when few or none match.
        now = timezone.now()
        open_tasks = ReviewTask.objects.filter(case=OuterRef("pk"), done_at__isnull=True)
        overdue = Exists(open_tasks.filter(due_at__lt=now))
        if self.value() == "overdue":
            return queryset.filter(overdue)
        if self.value() == "24h":
            soon = Exists(open_tasks.filter(due_at__gte=now, due_at__lt=now + timedelta(1)))
            return queryset.filter(soon & ~overdue)
        if self.value() == "none":
            return queryset.filter(~Exists(open_tasks))
        return queryset


class AgeFilter(KnownValuesFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("1", "Less than a day"), ("7", "Less than a week"), ("old", "A week or more")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() in ("1", "7"):
            return queryset.filter(created_at__gte=now - timedelta(days=int(self.value())))
        if self.value() == "old":
            return queryset.filter(created_at__lt=now - timedelta(days=7))
        return queryset
