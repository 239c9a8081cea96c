"""Writes around information pages: each section's stored HTML, and the page cache's version."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from contextvars import ContextVar

from django.apps import apps as installed_apps
from django.apps.registry import Apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import translation

from content.caching import content_version_bump
from content.models import ITEM_MODEL_NAMES, LIVE_SECTION_KINDS, SectionKind
from content.rendering import faq_entries, html_fingerprint, section_html

_signals_muted: ContextVar[bool] = ContextVar("content_signals_muted", default=False)


@contextlib.contextmanager
def content_signals_muted() -> Iterator[None]:
    """Saves and deletes inside skip the per-row redraw and cache bump: for code that
    replaces a whole page's parts at once and then redraws and invalidates once itself."""
    token = _signals_muted.set(True)
    try:
        yield
    finally:
        _signals_muted.reset(token)


def content_signals_are_muted() -> bool:
    return _signals_muted.get()


def section_html_refresh(
    *,
    page_id: int,
    kinds: Collection[str] | None = None,
    apps: Apps = installed_apps,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """Draw and store the HTML of a page's sections (those of `kinds`, or all of them).

    Called whenever a section or an item is saved or deleted, and by the migration that
    fills the HTML of existing rows (with its historical `apps`). Returns how many
    sections were stored. An item is shown in every section of its kind on its page.
    """
    section_model = apps.get_model("content", "Section")
    sections = (
        section_model.objects.using(using)
        .filter(page_id=page_id)
        .exclude(kind__in=LIVE_SECTION_KINDS)
    )
    if kinds is not None:
        sections = sections.filter(kind__in=kinds)
    fingerprint = html_fingerprint()
    items_by_kind: dict[str, list] = {}
    stored = 0
    # Drawn in the site's language whatever the editor's admin language is.
    with transaction.atomic(using=using), translation.override(settings.LANGUAGE_CODE):
        for section in sections:
            if section.kind not in items_by_kind:
                # Some sections (the "why it is relevant" text) have no items.
                model_name = ITEM_MODEL_NAMES.get(section.kind)
                items_by_kind[section.kind] = (
                    list(
                        apps.get_model("content", model_name)
                        .objects.using(using)
                        .filter(page_id=page_id)
                        .order_by("position", "pk")
                    )
                    if model_name
                    else []
                )
            items = items_by_kind[section.kind]
            stored += (
                section_model.objects.using(using)
                .filter(pk=section.pk)
                .update(
                    html=section_html(section, items),
                    html_fingerprint=fingerprint,
                    faq_entries=faq_entries(items) if section.kind == SectionKind.FAQ else [],
                )
            )
    return stored


def section_html_refresh_stale(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Store afresh every section drawn by other templates or code (after a deploy)."""
    section_model = installed_apps.get_model("content", "Section")
    page_ids = (
        section_model.objects.using(using)
        .exclude(kind__in=LIVE_SECTION_KINDS)
        .exclude(html_fingerprint=html_fingerprint())
        .order_by()
        .values_list("page_id", flat=True)
        .distinct()
    )
    return sum(section_html_refresh(page_id=page_id, using=using) for page_id in list(page_ids))


def content_cache_invalidate(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make every cached page stale, now and again once the transaction commits.

    Now, so the editor who saved sees the change at once; after commit, because a request
    that read the old rows while the transaction was open may have cached them under the
    version we just set.
    """
    content_version_bump()
    transaction.on_commit(content_version_bump, using=using)
