"""Turns a page's content into what its template shows: section HTML, table rows, JSON-LD."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from content.models import InformationPage, SectionKind
from content.rendering import faq_entries, section_html
from content.selectors import PageContent
from navigation.eligibility import CRITERIA

# Badge colours by evidence level (Bootstrap classes with AA contrast).
EVIDENCE_BADGES = {
    "strong": "text-bg-success",
    "good": "text-bg-success",
    "available": "text-bg-primary",
    "limited": "text-bg-warning",
    "excluded": "text-bg-danger",
}
_JSON_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def canonical_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def json_ld(page: InformationPage, faqs: list[dict[str, str]]) -> SafeString:
    url = canonical_url(page.path)
    web_page: dict[str, Any] = {
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": page.title,
        "description": page.summary,
        "inLanguage": get_language() or settings.LANGUAGE_CODE,
        "dateModified": page.updated_at.isoformat(),
        "about": {"@type": "MedicalCondition", "name": page.condition},
        "mentions": {"@type": "MedicalTherapy", "name": page.therapy},
        "publisher": {"@type": "Organization", "name": "CancerFax"},
    }
    if page.last_reviewed:
        web_page["lastReviewed"] = page.last_reviewed.isoformat()
    if page.clinical_reviewer:
        web_page["reviewedBy"] = {"@type": "Person", "name": page.clinical_reviewer}
    graph: list[dict[str, Any]] = [web_page]
    if faqs:
        graph.append(
            {
                "@type": "FAQPage",
                "@id": f"{url}#faq",
                "url": url,
                "mainEntity": [
                    {
                        "@type": "Question",
                        "name": faq["question"],
                        "acceptedAnswer": {"@type": "Answer", "text": faq["answer"]},
                    }
                    for faq in faqs
                ],
            }
        )
    data = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
    # Escaped like Django's json_script, so no text can close the script element. (Three
    # replace() calls: str.translate with a mapping is ten times slower on a page's worth.)
    for character, escape in _JSON_SCRIPT_ESCAPES:
        data = data.replace(character, escape)
    return mark_safe(data)  # noqa: S308


def page_context(content: PageContent, *, preview: bool = False, preview_note: str = "") -> dict:
    """The page's context: each section's HTML is its stored HTML, joined as it is, except
    for sections drawn from something else (the eligibility rules, the other pages) and
    sections whose stored HTML is from other code or for another language."""
    sections: list[SafeString] = []
    faqs: list[dict[str, str]] = []
    for section in content.sections:
        kind = section.kind
        if kind == SectionKind.ELIGIBILITY:
            # The same rules the pre-screen runs, so the page and the engine agree.
            criteria = [
                (criterion, EVIDENCE_BADGES.get(criterion.evidence, "text-bg-secondary"))
                for criterion in CRITERIA
            ]
            html = section_html(section, [], criteria=criteria)
        elif kind == SectionKind.LIBRARY:
            html = section_html(section, [], related_pages=content.related_pages)
        elif kind in content.live_items:
            items = content.live_items[kind]
            html = section_html(section, items)
            if kind == SectionKind.FAQ:
                faqs.extend(faq_entries(items))
        else:
            html = section.html
            if kind == SectionKind.FAQ:
                faqs.extend(section.faq_entries)
        # Escaped when drawn: stored HTML comes from our templates, never from an editor.
        sections.append(mark_safe(html))  # noqa: S308
    return {
        "page": content.page,
        "sections": sections,
        "json_ld": json_ld(content.page, faqs),
        "canonical_url": canonical_url(content.page.path),
        "preview": preview,
        "preview_note": preview_note,
        # The cached copy is rendered without a request; no per-visitor messages in it.
        "messages": (),
    }
