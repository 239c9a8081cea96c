"""Small builders for pages and parts."""

from __future__ import annotations

from decimal import Decimal

from content.models import (
    FAQ,
    EvidenceOutcome,
    InformationPage,
    PageStatus,
    Section,
    SectionKind,
)

SEED_PATH = "/cik/gastric-cancer/"


def seed_page() -> InformationPage:
    return InformationPage.objects.get(path=SEED_PATH)


def make_page(
    *, path: str = "/cik/lung-cancer/", status: str = PageStatus.PUBLISHED, **fields
) -> InformationPage:
    defaults = {
        "title": "CIK Therapy for Lung Cancer",
        "subtitle": "A test page.",
        "summary": "Evidence for CIK in lung cancer.",
        "therapy": "CIK cell therapy",
        "condition": "Lung cancer",
        "disclaimer": "Information, not advice.",
    }
    return InformationPage.objects.create(path=path, status=status, **{**defaults, **fields})


def add_faqs(page: InformationPage, count: int) -> list[FAQ]:
    if not page.parts.filter(section__kind=SectionKind.FAQ).exists():
        Section.objects.create(page=page, position=900, kind=SectionKind.FAQ, heading="FAQs")
    return [
        FAQ.objects.create(
            page=page, position=100 + n, question=f"Question {n}?", answer=f"Answer {n}."
        )
        for n in range(count)
    ]


def add_outcomes(page: InformationPage, count: int) -> list[EvidenceOutcome]:
    if not page.parts.filter(section__kind=SectionKind.EVIDENCE).exists():
        Section.objects.create(
            page=page, position=800, kind=SectionKind.EVIDENCE, heading="Evidence"
        )
    return [
        EvidenceOutcome.objects.create(
            page=page,
            position=100 + n,
            title=f"Outcome {n}",
            measure=f"Measure {n}",
            description="Described.",
            treatment_label="CIK + chemo",
            treatment_low=Decimal(50),
            treatment_high=Decimal(60),
            control_label="chemo alone",
            control_low=Decimal(40),
            control_high=Decimal(45),
        )
        for n in range(count)
    ]
