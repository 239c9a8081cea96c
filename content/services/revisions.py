"""Drafts and revisions of a whole page: what editors, clinical reviewers and the public see.

- An editor changes a published page through its **draft**: a working copy of the page with
  parts of its own (`InformationPage.draft_of`), edited in the same admin form, previewed,
  while the public keeps seeing the published page exactly as it was.
- **Sending the draft for review** records a `PageRevision`: the whole page (its fields and
  every part) as JSON. A revision never changes afterwards.
- A **clinical reviewer**, never the revision's author, records the review on it (who,
  when, next review due). Until the revision the page shows is reviewed, the page keeps its
  "awaiting clinical review" notice.
- **Publishing** a revision writes its content over the published page's rows in one
  transaction and makes every cached copy stale once; the public page is rendered from those
  rows, as fast as before. **Restoring** an earlier published revision publishes its content
  again as a new revision, so the list of revisions is the page's whole published history.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.apps import apps as installed_apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from content.models import (
    ITEM_KINDS,
    LIVE_SECTION_KINDS,
    PART_MODELS,
    InformationPage,
    PageRevision,
    PageStatus,
    Part,
    Section,
    SectionKind,
)
from content.rendering import faq_entries, html_fingerprint, section_html
from content.selectors import PageContent, SectionRow
from content.services.sections import (
    content_cache_invalidate,
    content_signals_muted,
    section_html_refresh,
)

# The page's own words; its address, status and review come from elsewhere.
PAGE_FIELDS = ("title", "subtitle", "summary", "therapy", "condition", "disclaimer")
# Not part of what an editor wrote: the part's identity and the HTML drawn from it.
_PART_SKIP = {"id", "part_ptr", "page", "html", "html_fingerprint", "faq_entries"}


class RevisionError(ValidationError):
    """A step the revision's state or the person's role does not allow, said in words."""


def part_fields(model: type[Part]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in _PART_SKIP]


# --- snapshots -----------------------------------------------------------------------------


def page_snapshot(page: InformationPage) -> dict[str, Any]:
    """The page's words and all its parts in order, as plain JSON values."""
    parts: list[tuple[int, int, dict[str, Any]]] = []
    for model in PART_MODELS:
        for obj in model.objects.filter(page=page):
            values = {f.name: f.value_from_object(obj) for f in part_fields(model)}
            parts.append((obj.position, obj.pk, {"model": model._meta.model_name, **values}))
    snapshot = {
        "page": {name: getattr(page, name) for name in PAGE_FIELDS},
        "parts": [values for _, _, values in sorted(parts, key=lambda p: (p[0], p[1]))],
    }
    # Through JSON and back, so a fresh snapshot compares equal to a stored one.
    return json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder))


def _part_instance(values: dict[str, Any], **extra: Any) -> Part:
    return _instance(installed_apps.get_model("content", values["model"]), values, **extra)


def _instance[P: Part](model: type[P], values: dict[str, Any], **extra: Any) -> P:
    kwargs = {f.name: f.to_python(values[f.name]) for f in part_fields(model) if f.name in values}
    return model(**kwargs, **extra)


def _replace_content(page: InformationPage, snapshot: dict[str, Any]) -> None:
    """Make the page's words and parts those of the snapshot (inside a transaction)."""
    for name in PAGE_FIELDS:
        setattr(page, name, snapshot["page"][name])
    with content_signals_muted():
        Part.objects.filter(page=page).delete()
        for values in snapshot["parts"]:
            _part_instance(values, page=page).save()
    # Drawn once for the whole page rather than once per part saved.
    section_html_refresh(page_id=page.pk)


# --- drafts ----------------------------------------------------------------------------------


@transaction.atomic
def page_draft_open(*, page: InformationPage) -> InformationPage:
    """The page an editor changes: the published page's draft (made now if it has none),
    or the page itself when it is a draft or has never been published."""
    if page.is_editable:
        return page
    page = InformationPage.objects.select_for_update().get(pk=page.pk)
    existing = InformationPage.objects.drafts_of(page).first()
    if existing is not None:
        return existing
    draft = InformationPage(
        path=page.path,
        status=PageStatus.DRAFT,
        draft_of=page,
        **{name: getattr(page, name) for name in PAGE_FIELDS},
    )
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        # Another request made it first (a double click on a database without row locks).
        return InformationPage.objects.drafts_of(page).get()
    _replace_content(draft, page_snapshot(page))
    draft.save(update_fields=PAGE_FIELDS)
    return draft


# --- revisions -------------------------------------------------------------------------------


def _next_number(page: InformationPage) -> int:
    return (page.revisions.aggregate(last=Max("number"))["last"] or 0) + 1


def _record_baseline(page: InformationPage) -> None:
    """A published page from before revisions were kept gets its current content as its
    first revision, so it can be compared against and restored."""
    if not page.is_published or page.revisions.exists():
        return
    reviewed_at = (
        datetime.datetime.combine(page.last_reviewed, datetime.time(), tzinfo=datetime.UTC)
        if page.last_reviewed and page.clinical_reviewer
        else None
    )
    PageRevision.objects.create(
        page=page,
        number=1,
        snapshot=page_snapshot(page),
        note=_("The page as published before revisions were kept."),
        reviewed_at=reviewed_at,
        reviewer_credit=page.clinical_reviewer if reviewed_at else "",
        next_review_due=page.next_review_due if reviewed_at else None,
        published_at=page.updated_at,
    )


@transaction.atomic
def revision_create(*, draft: InformationPage, author: User, note: str = "") -> PageRevision:
    """Record the draft (or never-published page) as it is now, for review and publication."""
    if draft.is_published:
        raise RevisionError(_("Open a draft of the page first; the published page is not edited."))
    page = InformationPage.objects.select_for_update().get(pk=draft.draft_of_id or draft.pk)
    _record_baseline(page)
    return PageRevision.objects.create(
        page=page,
        number=_next_number(page),
        snapshot=page_snapshot(draft),
        note=note.strip(),
        created_by=author,
    )


def live_revision(page: InformationPage) -> PageRevision | None:
    return PageRevision.objects.live_for(page)


def _show_review_on_page(page: InformationPage, revision: PageRevision) -> None:
    if revision.is_reviewed:
        page.last_reviewed = timezone.localdate(revision.reviewed_at)
        page.clinical_reviewer = revision.reviewer_credit
        page.next_review_due = revision.next_review_due
    else:
        page.last_reviewed = page.next_review_due = None
        page.clinical_reviewer = ""


@transaction.atomic
def revision_review(
    *,
    revision: PageRevision,
    reviewer: User,
    next_review_due: datetime.date,
    reviewer_credit: str,
    now: datetime.datetime | None = None,
) -> PageRevision:
    """Record the clinical review of a revision by someone other than its author. When the
    revision is the one the page shows, the page shows the review at once."""
    now = now or timezone.now()
    if revision.created_by_id is not None and revision.created_by_id == reviewer.pk:
        raise RevisionError(_("You wrote this revision: another person must review it."))
    if not reviewer_credit.strip():
        raise RevisionError(_("Give the reviewer's name and role as the page should show them."))
    if next_review_due <= timezone.localdate(now):
        raise RevisionError(_("The next review must be due after today."))
    claimed = PageRevision.objects.filter(pk=revision.pk, reviewed_at__isnull=True).update(
        reviewed_by=reviewer,
        reviewed_at=now,
        reviewer_credit=reviewer_credit.strip(),
        next_review_due=next_review_due,
    )
    if not claimed:
        raise RevisionError(_("This revision has already been reviewed."))
    revision.refresh_from_db()
    page = InformationPage.objects.select_for_update().get(pk=revision.page_id)
    if live_revision(page) == revision:
        _show_review_on_page(page, revision)
        page.save()  # the save signal makes the cached copies stale
    return revision


@transaction.atomic
def revision_publish(
    *, revision: PageRevision, publisher: User, now: datetime.datetime | None = None
) -> PageRevision:
    """Make the revision the published page, in one change: the public sees either the
    page as it was or the whole revision, never a mix."""
    now = now or timezone.now()
    page = InformationPage.objects.select_for_update().get(pk=revision.page_id)
    _record_baseline(page)
    claimed = PageRevision.objects.filter(pk=revision.pk, published_at__isnull=True).update(
        published_at=now, published_by=publisher
    )
    if not claimed:
        raise RevisionError(
            _("This revision has been published already: restore it to publish it again.")
        )
    revision.refresh_from_db()
    _replace_content(page, revision.snapshot)
    page.status = PageStatus.PUBLISHED
    _show_review_on_page(page, revision)
    with content_signals_muted():
        page.save()
    # The draft is done with once what it holds is published; a draft changed since it was
    # sent for review is kept, so no editor's work is lost.
    draft = InformationPage.objects.drafts_of(page).first()
    if draft is not None and page_snapshot(draft) == revision.snapshot:
        with content_signals_muted():
            draft.delete()
    content_cache_invalidate()
    return revision


@transaction.atomic
def revision_restore(
    *, revision: PageRevision, publisher: User, now: datetime.datetime | None = None
) -> PageRevision:
    """Publish an earlier revision's content again, as a new revision with its review."""
    if revision.published_at is None:
        raise RevisionError(_("Only a revision that was published can be restored."))
    page = InformationPage.objects.select_for_update().get(pk=revision.page_id)
    if live_revision(page) == revision:
        raise RevisionError(_("This revision is the published page already."))
    restored = PageRevision.objects.create(
        page=page,
        number=_next_number(page),
        snapshot=revision.snapshot,
        note=_("Revision %(number)s restored.") % {"number": revision.number},
        # The content and its review are the earlier revision's; who restored it is the
        # publisher.
        created_by_id=revision.created_by_id,
        restored_from=revision,
        reviewed_by_id=revision.reviewed_by_id,
        reviewed_at=revision.reviewed_at,
        reviewer_credit=revision.reviewer_credit,
        next_review_due=revision.next_review_due,
    )
    return revision_publish(revision=restored, publisher=publisher, now=now)


# --- previews --------------------------------------------------------------------------------


def revision_page_content(revision: PageRevision) -> PageContent:
    """The revision as its page would show it once published, drawn from the snapshot."""
    snapshot = revision.snapshot
    page = InformationPage(
        pk=revision.page_id,
        path=revision.page.path,
        status=PageStatus.DRAFT,
        updated_at=revision.created_at,
        **snapshot["page"],
    )
    _show_review_on_page(page, revision)
    sections = [v for v in snapshot["parts"] if v["model"] == "section"]
    items_by_kind: dict[str, list[Part]] = {}
    for values in snapshot["parts"]:
        if values["model"] != "section":
            kind = ITEM_KINDS[values["model"]]
            items_by_kind.setdefault(kind, []).append(_part_instance(values))
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for index, values in enumerate(sections):
            section = _instance(Section, values)
            items = items_by_kind.get(section.kind, [])
            live = section.kind in LIVE_SECTION_KINDS
            rows.append(
                SectionRow(
                    pk=-index - 1,
                    kind=section.kind,
                    heading=section.heading,
                    intro=section.intro,
                    quote=section.quote,
                    note=section.note,
                    html="" if live else section_html(section, items),
                    html_fingerprint=html_fingerprint(),
                    faq_entries=faq_entries(items) if section.kind == SectionKind.FAQ else [],
                )
            )
    related: list[InformationPage] = []
    if any(row.kind == SectionKind.LIBRARY for row in rows):
        related = list(
            InformationPage.objects.published()
            .exclude(pk=revision.page_id)
            .only("path", "title", "summary")
        )
    return PageContent(page=page, sections=rows, related_pages=related)
