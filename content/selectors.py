"""Reads of information pages for display."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from content.models import (
    ITEM_MODEL_NAMES,
    LIVE_SECTION_KINDS,
    InformationPage,
    Part,
    Section,
    SectionKind,
)
from content.rendering import stored_html_is_current


@dataclass(frozen=True, slots=True)
class SectionRow:
    """What showing a section needs: its stored HTML, or its fields to draw it afresh.
    (Plain rows, not model instances: building those is most of an uncached render.)"""

    pk: int
    kind: str
    heading: str
    intro: str
    quote: str
    note: str
    html: str
    html_fingerprint: str
    faq_entries: list[dict[str, str]]


SECTION_FIELDS = [field.name for field in dataclasses.fields(SectionRow)]


@dataclass
class PageContent:
    page: InformationPage
    sections: list[SectionRow]
    related_pages: list[InformationPage]
    # The items of sections whose stored HTML cannot be used as it is, by section kind.
    live_items: dict[str, list[Part]] = field(default_factory=dict)


def page_content_get(*, path: str, published_only: bool = True) -> PageContent | None:
    """A page with its sections, in at most three queries whatever its size: the page, its
    sections (each with its stored HTML), and the other published pages when the page has
    a resource-library section. (More only while a section's stored HTML is from other
    code, just after a deploy.)"""
    pages = InformationPage.objects.all()
    if published_only:
        pages = pages.published()
    page = pages.filter(path=path).first()
    if page is None:
        return None
    return _assemble(page)


def page_content_for_preview(*, page_id: int) -> PageContent | None:
    page = InformationPage.objects.filter(pk=page_id).first()
    return _assemble(page) if page else None


def _assemble(page: InformationPage) -> PageContent:
    sections = [
        SectionRow(**row) for row in Section.objects.filter(page=page).values(*SECTION_FIELDS)
    ]
    live_items: dict[str, list[Part]] = {}
    for section in sections:
        if section.kind in LIVE_SECTION_KINDS or section.kind in live_items:
            continue
        if not stored_html_is_current(section):
            model_name = ITEM_MODEL_NAMES.get(section.kind)
            live_items[section.kind] = (
                list(Part._meta.apps.get_model("content", model_name).objects.filter(page=page))
                if model_name
                else []
            )
    related: list[InformationPage] = []
    if any(section.kind == SectionKind.LIBRARY for section in sections):
        # A draft's preview lists the same pages as the page it is a draft of.
        related = list(
            InformationPage.objects.published()
            .exclude(pk__in=[pk for pk in (page.pk, page.draft_of_id) if pk is not None])
            .only("path", "title", "summary")
        )
    return PageContent(page=page, sections=sections, related_pages=related, live_items=live_items)
