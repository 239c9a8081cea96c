"""Reads of information pages for display."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist

from content.models import (
    FAQ,
    PART_MODELS,
    BalancePoint,
    CallToAction,
    EvidenceOutcome,
    GlancePoint,
    HelpStep,
    InformationPage,
    KeyNumber,
    Part,
    Section,
    SectionKind,
    SettingCard,
)

# Which section shows which kind of item.
ITEM_SECTION: dict[type[Part], str] = {
    GlancePoint: SectionKind.AT_A_GLANCE,
    SettingCard: SectionKind.SETTINGS,
    EvidenceOutcome: SectionKind.EVIDENCE,
    BalancePoint: SectionKind.BALANCE,
    KeyNumber: SectionKind.KEY_NUMBERS,
    FAQ: SectionKind.FAQ,
    HelpStep: SectionKind.HELP,
    CallToAction: SectionKind.CALL_TO_ACTION,
}
_CHILD_ACCESSORS = [model._meta.model_name for model in PART_MODELS]


@dataclass
class SectionContent:
    section: Section
    items: list[Part] = field(default_factory=list)


@dataclass
class PageContent:
    page: InformationPage
    sections: list[SectionContent]
    related_pages: list[InformationPage]

    def items_of(self, kind: str) -> list[Part]:
        return [
            item for block in self.sections if block.section.kind == kind for item in block.items
        ]


def _specific(part: Part) -> Part | None:
    """The concrete part (FAQ, outcome…) that select_related already loaded."""
    for accessor in _CHILD_ACCESSORS:
        try:
            return getattr(part, accessor)
        except ObjectDoesNotExist:
            continue
    return None


def page_content_get(*, path: str, published_only: bool = True) -> PageContent | None:
    """A page with all its parts, in at most three queries whatever its size:
    the page, its parts (every kind joined in), and the other published pages when the
    page has a resource-library section."""
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
    parts = Part.objects.filter(page=page).select_related(*_CHILD_ACCESSORS)
    sections: list[SectionContent] = []
    items_by_kind: dict[str, list[Part]] = {}
    for part in parts:
        specific = _specific(part)
        if specific is None:
            continue
        if isinstance(specific, Section):
            sections.append(SectionContent(section=specific))
        else:
            items_by_kind.setdefault(ITEM_SECTION[type(specific)], []).append(specific)
    for block in sections:
        block.items = items_by_kind.get(block.section.kind, [])
    related: list[InformationPage] = []
    if any(block.section.kind == SectionKind.LIBRARY for block in sections):
        related = list(
            InformationPage.objects.published()
            .exclude(pk=page.pk)
            .only("path", "title", "summary")
        )
    return PageContent(page=page, sections=sections, related_pages=related)
