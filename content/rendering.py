"""Each section's HTML, drawn from the section and its items.

Sections are drawn when they (or their items) are saved and the HTML is stored on the
section (`content.services.sections.section_html_refresh`); a page is then served by joining stored
strings. The functions here read fields only, never model methods, so the data migration can
draw sections from its historical models too.

Stored HTML is only as current as the code that drew it: `html_fingerprint()` names the
section templates and this code, and HTML with another fingerprint (drawn before a deploy
that changed them) is not used: the page draws that section afresh until `migrate`
(post_migrate) or the next edit stores it again.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template import Engine
from django.template.loader import render_to_string
from django.utils.translation import get_language

from content import charts
from content.models import BalanceSide, SectionKind

SECTION_TEMPLATE = "content/sections/{kind}.html"


def section_html(section: Any, items: Sequence[Any], **extra: Any) -> str:
    """The section with its items. `extra` carries what live sections show (the eligibility
    criteria, the other pages)."""
    block: dict[str, Any] = {"section": section, "items": items, **extra}
    if section.kind == SectionKind.EVIDENCE:
        block["outcomes"] = [(item, charts.range_chart(item)) for item in items]
    elif section.kind == SectionKind.BALANCE:
        block["benefits"] = [item for item in items if item.side == BalanceSide.BENEFIT]
        block["limitations"] = [item for item in items if item.side == BalanceSide.LIMITATION]
    return render_to_string(
        SECTION_TEMPLATE.format(kind=section.kind),
        {"block": block, "section": section, "items": items},
    )


def faq_entries(items: Sequence[Any]) -> list[dict[str, str]]:
    """An FAQ section's questions and answers, for the page's FAQPage JSON-LD."""
    return [{"question": item.question, "answer": item.answer} for item in items]


@functools.cache
def html_fingerprint() -> str:
    """Names what draws stored HTML: the section templates, this module, the charts, and
    the language it is drawn in. Read once per process."""
    digest = hashlib.sha256(settings.LANGUAGE_CODE.encode())
    for kind in sorted(SectionKind.values):
        template = Engine.get_default().get_template(SECTION_TEMPLATE.format(kind=kind))
        digest.update(template.source.encode())
    for module in (sys.modules[__name__], charts):
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()[:32]


def stored_html_is_current(section: Any) -> bool:
    """Whether the section's stored HTML can be shown to this request as it is."""
    return (
        section.html_fingerprint == html_fingerprint()
        and (get_language() or settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE
    )
