"""Django's cache for the public pages: edits show at once, 304s, compression, headers,
the whole middleware stack, and each section's stored HTML."""

from __future__ import annotations

import gzip
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext

from content.caching import VERSION_KEY
from content.models import FAQ, LIVE_SECTION_KINDS, Section
from content.rendering import html_fingerprint
from content.services.sections import section_html_refresh, section_html_refresh_stale
from tests.content.factories import SEED_PATH, seed_page

pytestmark = pytest.mark.django_db


def _another_process_edits(faq: FAQ, answer: str) -> None:
    """An editor's save in another web process: the rows and the shared version change."""
    FAQ.objects.filter(pk=faq.pk).update(answer=answer)
    section_html_refresh(page_id=faq.page_id, kinds=["faq"])
    cache.set(VERSION_KEY, "set-by-another-process", None)


def test_a_cached_page_is_the_same_page_without_touching_the_database(
    client, django_assert_num_queries
):
    first = client.get(SEED_PATH)
    with django_assert_num_queries(0):
        again = client.get(SEED_PATH)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_an_edit_saved_in_this_process_shows_at_once(client):
    client.get(SEED_PATH)
    faq = FAQ.objects.filter(page=seed_page()).first()
    faq.answer = "Answered again, just now."
    faq.save()
    assert "Answered again, just now." in client.get(SEED_PATH).content.decode()


def test_an_edit_saved_in_another_process_shows_at_once(client):
    client.get(SEED_PATH)
    faq = FAQ.objects.filter(page=seed_page()).first()
    _another_process_edits(faq, "Changed in another process.")
    assert "Changed in another process." in client.get(SEED_PATH).content.decode()


def test_a_conditional_get_of_a_cached_page_is_a_304_without_the_database(
    client, django_assert_num_queries
):
    etag = client.get(SEED_PATH)["ETag"]
    with django_assert_num_queries(0):
        response = client.get(SEED_PATH, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_a_client_that_accepts_gzip_gets_the_same_page_compressed(client):
    plain = client.get(SEED_PATH)
    assert "Content-Encoding" not in plain
    # Twice: the second comes from the cache, compressed already.
    for _ in range(2):
        packed = client.get(SEED_PATH, headers={"Accept-Encoding": "br, gzip;q=0.8"})
        assert packed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed["Vary"]
        assert len(packed.content) < len(plain.content) / 3
        assert gzip.decompress(packed.content) == plain.content
    # Its validator names the same content, weakly since the bytes differ.
    assert packed["ETag"] == f"W/{plain['ETag']}"
    again = client.get(
        SEED_PATH, headers={"Accept-Encoding": "br, gzip;q=0.8", "If-None-Match": plain["ETag"]}
    )
    assert again.status_code == 304


def test_a_public_page_may_be_kept_briefly_by_shared_caches(client, settings):
    settings.PUBLIC_PAGE_SHARED_MAX_AGE = 5
    settings.PUBLIC_PAGE_STALE_SECONDS = 30
    for response in (client.get(SEED_PATH), client.get(SEED_PATH)):
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        # Browsers ask again each visit, so they see an edit at once.
        assert directives == {"public", "max-age=0", "s-maxage=5", "stale-while-revalidate=30"}
        assert "Expires" not in response
        assert "Set-Cookie" not in response
        assert "Cookie" not in response.get("Vary", "")


def test_a_visitor_with_a_session_gets_the_page_but_never_a_shareable_one(editor_client):
    public = Client().get(SEED_PATH)
    for response in (editor_client.get(SEED_PATH), editor_client.get(SEED_PATH)):
        assert response.content == public.content
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]


def test_a_missing_page_is_not_kept_by_anyone(client):
    response = client.get("/cik/no-such-page/")
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


class _StampMiddleware:
    """A middleware added at the end of the stack, as later code might add one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamped"] = "yes"
        return response


def test_a_cached_page_goes_through_every_middleware(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}._StampMiddleware"]
    client.get(SEED_PATH)
    cached = client.get(SEED_PATH)
    assert cached["X-Stamped"] == "yes"
    # And the security middleware's headers, the CSP with them.
    for header in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy"):
        assert cached.has_header(header), header


def test_an_uncached_render_joins_stored_html_without_reading_the_items(client):
    with CaptureQueriesContext(connection) as queries:
        html = client.get(SEED_PATH).content.decode()
    tables = " ".join(query["sql"] for query in queries)
    for table in ("content_faq", "content_evidenceoutcome", "content_glancepoint"):
        assert table not in tables
    assert "Frequently Asked Questions" in html
    assert "~70–76%" in html


def test_stored_html_draws_the_same_page_as_drawing_each_section_afresh(client, monkeypatch):
    stored = client.get(SEED_PATH)
    cache.clear()
    # Stored HTML from other code (before a deploy) is not used: every section is drawn.
    monkeypatch.setattr("content.rendering.html_fingerprint", lambda: "drawn-by-other-code")
    with CaptureQueriesContext(connection) as queries:
        afresh = client.get(SEED_PATH)
    assert any("content_faq" in query["sql"] for query in queries)
    assert afresh.content == stored.content


def test_sections_drawn_by_older_code_are_drawn_again_after_migrate():
    Section.objects.update(html="old", html_fingerprint="older-templates")
    assert section_html_refresh_stale() > 0
    stale = Section.objects.exclude(kind__in=LIVE_SECTION_KINDS).exclude(
        html_fingerprint=html_fingerprint()
    )
    assert not stale.exists()
    assert not Section.objects.exclude(kind__in=LIVE_SECTION_KINDS).filter(html="old").exists()


def test_the_data_migration_fills_the_html_of_existing_sections(client):
    before = client.get(SEED_PATH)
    filled = {s.pk: (s.html, s.faq_entries) for s in Section.objects.all()}
    Section.objects.update(html="", html_fingerprint="", faq_entries=[])

    loader = MigrationLoader(connection)
    migration = loader.get_migration("content", "0004_fill_section_html")
    apps = loader.project_state(("content", "0004_fill_section_html")).apps
    migration.operations[0].code(apps, SimpleNamespace(connection=connection))

    assert {s.pk: (s.html, s.faq_entries) for s in Section.objects.all()} == filled
    faq_section = Section.objects.get(page=seed_page(), kind="faq")
    assert [entry["question"] for entry in faq_section.faq_entries] == list(
        FAQ.objects.filter(page=seed_page()).values_list("question", flat=True)
    )
    cache.clear()
    after = client.get(SEED_PATH)
    assert after.content == before.content


def test_deleting_items_in_bulk_redraws_their_section(client):
    page = seed_page()
    faq = FAQ.objects.filter(page=page).first()
    client.get(SEED_PATH)
    # The admin's "delete selected" deletes a queryset; each row still sends its signal.
    FAQ.objects.filter(pk=faq.pk).delete()
    html = client.get(SEED_PATH).content.decode()
    assert faq.question not in html
    assert faq.question not in str(Section.objects.get(page=page, kind="faq").faq_entries)


@pytest.mark.parametrize("path", ["/submit/", "/portal/", "/admin/login/"])
def test_the_patient_and_staff_areas_are_never_kept_by_a_shared_cache(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "public" not in directives
    assert directives & {"private", "no-store"}
