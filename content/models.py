"""Information pages and their ordered parts.

A page (one therapy in one cancer) is built from parts: sections that carry headings and
intros, and the items shown inside them (at-a-glance points, setting cards, evidence
outcomes, benefits and limitations, key numbers, FAQs, help steps, calls to action).

Each kind of part is its own model, so it has its own fields, validation, admin inline and
history, but all of them inherit from `Part` (multi-table inheritance): one query with a
LEFT JOIN per kind loads every part of a page, so a page renders in a fixed number of
queries however many FAQs or outcomes it has.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

PATH_VALIDATOR = RegexValidator(
    r"^/(?:[a-z0-9-]+/)+$",
    _("Write the address as lowercase words between slashes, like /cik/gastric-cancer/."),
)
LINK_VALIDATOR = RegexValidator(
    r"^/(?:[a-z0-9-]+/)*$",
    _("Link to a page of this site, like /eligibility/ (it must start and end with /)."),
)


class PageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class InformationPageQuerySet(models.QuerySet):
    def published(self) -> InformationPageQuerySet:
        return self.filter(status=PageStatus.PUBLISHED)

    def drafts_of(self, page: InformationPage) -> InformationPageQuerySet:
        return self.filter(draft_of=page)


class InformationPage(models.Model):
    path = models.CharField(
        max_length=200,
        validators=[PATH_VALIDATOR],
        help_text=_("The page's address on the site, like /cik/gastric-cancer/."),
    )
    title = models.CharField(max_length=200)
    subtitle = models.TextField(help_text=_("The lead paragraph under the title."))
    summary = models.CharField(
        max_length=300,
        help_text=_("One or two sentences for the resource library and search results."),
    )
    therapy = models.CharField(max_length=120, help_text=_("For example: CIK cell therapy."))
    condition = models.CharField(max_length=120, help_text=_("For example: Gastric cancer."))
    disclaimer = models.TextField()
    status = models.CharField(
        max_length=12, choices=PageStatus.choices, default=PageStatus.DRAFT, db_index=True
    )
    last_reviewed = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    clinical_reviewer = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Name and role of the clinician who last reviewed the page."),
    )
    # A draft is a working copy of a published page, with parts of its own: editors change
    # it, preview it and publish it as one revision (content.services.revisions) while the
    # published page stays as it is.
    draft_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="draft",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = InformationPageQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            # A draft shares its page's address; only pages themselves need their own.
            models.UniqueConstraint(
                fields=["path"],
                condition=Q(draft_of__isnull=True),
                name="page_path_unique",
                violation_error_message=_("Another page already has this address."),
            ),
            models.CheckConstraint(
                condition=Q(draft_of__isnull=True) | Q(status=PageStatus.DRAFT),
                name="page_draft_never_published",
                violation_error_message=_("A draft is published through a revision."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({_('draft')})" if self.draft_of_id else self.title

    def get_absolute_url(self) -> str:
        return self.path

    @property
    def is_draft_copy(self) -> bool:
        return self.draft_of_id is not None

    @property
    def is_editable(self) -> bool:
        """Editors change a draft, or a page that has never been published; a published
        page changes only when a revision is published."""
        return not self.is_published

    @property
    def is_published(self) -> bool:
        return self.status == PageStatus.PUBLISHED

    @property
    def review_is_due(self) -> bool:
        """Never reviewed, or past its next review date."""
        if not self.last_reviewed or not self.next_review_due:
            return True
        return self.next_review_due <= timezone.localdate()

    def clean(self) -> None:
        if (
            self.last_reviewed
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            raise ValidationError(
                {"next_review_due": _("The next review must be due after the last review.")}
            )


class Part(models.Model):
    """What every part of a page shares: its page and its place in the order."""

    page = models.ForeignKey(InformationPage, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField(
        default=0, help_text=_("Parts are shown from the lowest number to the highest.")
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.page_id}: part {self.position}"


class SectionKind(models.TextChoices):
    # The order here is only the order of the choices; sections are shown by position.
    AT_A_GLANCE = "at_a_glance", _("At a glance")
    RELEVANCE = "relevance", _("Why it is relevant")
    SETTINGS = "settings", _("Treatment settings")
    EVIDENCE = "evidence", _("Evidence")
    ELIGIBILITY = "eligibility", _("Eligibility table")
    BALANCE = "balance", _("Benefits and limitations")
    KEY_NUMBERS = "key_numbers", _("Key numbers")
    LIBRARY = "library", _("Resource library")
    FAQ = "faq", _("Frequently asked questions")
    HELP = "help", _("How we help")
    CALL_TO_ACTION = "call_to_action", _("Call to action")


class Section(Part):
    """A section of the page: its heading and text; its items are the parts of its kind.

    The section's HTML, with its items, is rendered when the section or one of its items is
    saved or deleted (`section_html_refresh`), as a blog stores an entry's rendered body, so
    a page renders by joining stored strings. `html_fingerprint` names the templates and
    code that drew it: HTML drawn by other code is not used (see `content.presentation`).
    """

    kind = models.CharField(max_length=20, choices=SectionKind.choices)
    heading = models.CharField(max_length=200)
    intro = models.TextField(blank=True, help_text=_("Paragraphs separated by a blank line."))
    quote = models.TextField(blank=True, help_text=_("A pull quote, without quotation marks."))
    note = models.TextField(blank=True, help_text=_("A closing note under the section."))
    html = models.TextField(blank=True, editable=False)
    html_fingerprint = models.CharField(max_length=32, blank=True, editable=False)
    # The questions and answers of an FAQ section, for the page's FAQPage JSON-LD.
    faq_entries = models.JSONField(default=list, blank=True, editable=False)
    # Derived from the rows whose history is kept; keeping them again would only add noise.
    history = HistoricalRecords(excluded_fields=["html", "html_fingerprint", "faq_entries"])

    def __str__(self) -> str:
        return self.heading


class GlancePoint(Part):
    text = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.text[:60]


class SettingCard(Part):
    title = models.CharField(max_length=200)
    body = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title


class EvidenceOutcome(Part):
    """One outcome measured in two arms: the therapy (CIK + chemotherapy) and the control."""

    title = models.CharField(max_length=200)
    measure = models.CharField(max_length=80, help_text=_("For example: 1-year OS."))
    description = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    unit = models.CharField(max_length=20, default="%")
    approximate = models.BooleanField(default=True, help_text=_("Show figures with a ~ sign."))
    treatment_label = models.CharField(max_length=80)
    treatment_low = models.DecimalField(max_digits=7, decimal_places=2)
    treatment_high = models.DecimalField(max_digits=7, decimal_places=2)
    control_label = models.CharField(max_length=80)
    control_low = models.DecimalField(max_digits=7, decimal_places=2)
    control_high = models.DecimalField(max_digits=7, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(treatment_low__lte=F("treatment_high"))
                & Q(control_low__lte=F("control_high")),
                name="evidence_range_low_not_above_high",
                violation_error_message=_("A range's low figure cannot exceed its high figure."),
            ),
            models.CheckConstraint(
                condition=Q(treatment_low__gte=0) & Q(control_low__gte=0),
                name="evidence_range_not_negative",
                violation_error_message=_("A range cannot go below zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_percentage(self) -> bool:
        return self.unit.strip() == "%"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for arm in ("treatment", "control"):
            low = getattr(self, f"{arm}_low")
            high = getattr(self, f"{arm}_high")
            if low is None or high is None:
                continue
            label = getattr(self, f"{arm}_label") or arm
            if low < 0:
                errors[f"{arm}_low"] = _("%(arm)s: the low figure cannot be negative.") % {
                    "arm": label
                }
            elif low > high:
                errors[f"{arm}_low"] = _(
                    "%(arm)s: the low figure (%(low)s) is above the high figure (%(high)s)."
                ) % {"arm": label, "low": low, "high": high}
            if self.is_percentage and high > 100:
                errors[f"{arm}_high"] = _(
                    "%(arm)s: a percentage cannot be over 100 (%(high)s was given)."
                ) % {"arm": label, "high": high}
        if errors:
            raise ValidationError(errors)


class BalanceSide(models.TextChoices):
    BENEFIT = "benefit", _("Benefit")
    LIMITATION = "limitation", _("Limitation")


class BalancePoint(Part):
    """A benefit or a limitation, shown side by side for a balanced view."""

    side = models.CharField(max_length=12, choices=BalanceSide.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title


class KeyNumber(Part):
    figure = models.CharField(max_length=40, help_text=_("For example: #5 or 14–21 days."))
    label = models.CharField(max_length=200)
    explanation = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.figure} {self.label}"


class FAQ(Part):
    question = models.CharField(max_length=300)
    # blank=True so that clean() can say what is wrong in words an editor understands;
    # the constraint keeps an empty answer out of the database whatever the route in.
    answer = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")
        constraints = [
            models.CheckConstraint(
                condition=~Q(answer=""),
                name="faq_answer_not_empty",
                violation_error_message=_("Every question needs an answer."),
            )
        ]

    def __str__(self) -> str:
        return self.question

    def clean(self) -> None:
        self.answer = (self.answer or "").strip()
        if not self.answer:
            raise ValidationError(
                {"answer": _("Write an answer: a question without one cannot be shown.")}
            )


class HelpStep(Part):
    text = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.text[:60]


class CallToAction(Part):
    label = models.CharField(max_length=80)
    url = models.CharField(max_length=200, validators=[LINK_VALIDATOR])
    primary = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("call to action")
        verbose_name_plural = _("calls to action")

    def __str__(self) -> str:
        return self.label


# Every kind of item, by the section kind it is shown in. The selector joins all of them
# in one query, and the cache is invalidated when any of them is saved.
PART_MODELS: tuple[type[Part], ...] = (
    Section,
    GlancePoint,
    SettingCard,
    EvidenceOutcome,
    BalancePoint,
    KeyNumber,
    FAQ,
    HelpStep,
    CallToAction,
)

# The section kind each kind of item is shown in, by model name: names rather than classes,
# so the migration that stores each section's HTML can use its historical models too.
ITEM_KINDS: dict[str, str] = {
    "glancepoint": SectionKind.AT_A_GLANCE,
    "settingcard": SectionKind.SETTINGS,
    "evidenceoutcome": SectionKind.EVIDENCE,
    "balancepoint": SectionKind.BALANCE,
    "keynumber": SectionKind.KEY_NUMBERS,
    "faq": SectionKind.FAQ,
    "helpstep": SectionKind.HELP,
    "calltoaction": SectionKind.CALL_TO_ACTION,
}
ITEM_MODEL_NAMES: dict[str, str] = {kind: name for name, kind in ITEM_KINDS.items()}
# Sections drawn from something other than their page's rows: the eligibility rules (code)
# and the other published pages. They are rendered with each page, never stored.
LIVE_SECTION_KINDS = frozenset({SectionKind.ELIGIBILITY, SectionKind.LIBRARY})


class PageRevisionQuerySet(models.QuerySet):
    def published(self) -> PageRevisionQuerySet:
        return self.filter(published_at__isnull=False)

    def live_for(self, page: InformationPage) -> PageRevision | None:
        """The revision the page shows now: the one published last."""
        return self.published().filter(page=page).order_by("-published_at", "-number").first()


class PageRevision(models.Model):
    """A whole page as it was sent for review or published: its fields and all its parts,
    as JSON (content.services.revisions makes and applies it). Never edited: a change is a new
    revision, and restoring an earlier one publishes its content again as a new revision."""

    page = models.ForeignKey(InformationPage, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(editable=False)
    snapshot = models.JSONField(encoder=DjangoJSONEncoder, editable=False)
    note = models.CharField(
        max_length=300, blank=True, help_text=_("What changed, in a sentence, for the reviewer.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("clinical reviewer"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer_credit = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Name and role of the reviewer as the page shows them."),
    )
    next_review_due = models.DateField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects = PageRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["page", "-number"]
        verbose_name = _("page revision")
        permissions = [
            ("review_pagerevision", _("Can record the clinical review of a revision")),
            ("publish_pagerevision", _("Can publish a revision")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="revision_number_unique"),
            # The database's own guard for the rule the review service applies.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True)
                | Q(created_by__isnull=True)
                | ~Q(reviewed_by=F("created_by")),
                name="revision_not_reviewed_by_author",
                violation_error_message=_(
                    "A revision is reviewed by someone other than its author."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(page)s, revision %(number)s") % {"page": self.page, "number": self.number}

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
