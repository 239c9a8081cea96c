"""The page cache's layers (process copy, shared copy, ETag entry), gzip, and stored HTML."""

from __future__ import annotations

import gzip
import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from content import pagecache
from content.models import FAQ, LIVE_SECTION_KINDS, Section
from content.rendering import html_fingerprint
from content.services.sections import section_html_refresh_stale
from tests.content.factories import SEED_PATH, seed_page

pytestmark = pytest.mark.django_db


def _nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]


def _without_nonce(response, body: bytes) -> bytes:
    return body.replace(_nonce(response).encode(), b"")


@pytest.fixture
def clock(monkeypatch):
    """The clock the page cache checks the content version by, moved by hand."""
    now = SimpleNamespace(value=1000.0)
    monkeypatch.setattr(pagecache, "_clock", lambda: now.value)
    return now


def _another_process_edits(faq: FAQ, answer: str) -> None:
    """An editor's save in another web process: the rows and the shared version change,
    this process's memory does not."""
    FAQ.objects.filter(pk=faq.pk).update(answer=answer)
    from content.services.sections import section_html_refresh

    section_html_refresh(page_id=faq.page_id, kinds=["faq"])
    cache.set(pagecache.VERSION_KEY, "set-by-another-process", None)


def test_a_cached_page_comes_from_the_process_copy_without_the_cache_server(
    client, django_assert_num_queries
):
    first = client.get(SEED_PATH)
    # Nothing left in the shared cache, but the version was read less than a second ago.
    cache.clear()
    with django_assert_num_queries(0):
        again = client.get(SEED_PATH)
    assert again.status_code == 200
    assert _without_nonce(again, again.content) == _without_nonce(first, first.content)


def test_saving_in_this_process_drops_its_copy_at_once(client, clock):
    client.get(SEED_PATH)
    faq = FAQ.objects.filter(page=seed_page()).first()
    faq.answer = "Answered again, just now."
    faq.save()
    # No time has passed on the clock: the saving process knows without asking the cache.
    assert "Answered again, just now." in client.get(SEED_PATH).content.decode()


def test_other_processes_show_an_edit_within_a_second(client, clock):
    client.get(SEED_PATH)
    faq = FAQ.objects.filter(page=seed_page()).first()
    _another_process_edits(faq, "Changed in another process.")

    clock.value += pagecache.VERSION_CHECK_SECONDS / 2
    assert "Changed in another process." not in client.get(SEED_PATH).content.decode()
    clock.value += pagecache.VERSION_CHECK_SECONDS / 2
    assert "Changed in another process." in client.get(SEED_PATH).content.decode()


def test_a_process_without_a_copy_takes_the_shared_one_without_rendering(
    client, django_assert_num_queries
):
    first = client.get(SEED_PATH)
    pagecache.forget_process_copies()  # as a second web process would start
    with django_assert_num_queries(0):
        again = client.get(SEED_PATH)
    assert again["ETag"] == first["ETag"]
    assert _without_nonce(again, again.content) == _without_nonce(first, first.content)


def test_a_conditional_get_is_answered_without_reading_the_body(
    client, monkeypatch, django_assert_num_queries
):
    etag = client.get(SEED_PATH)["ETag"]
    pagecache.forget_process_copies()  # another process, which has no copy of its own
    read: list[str] = []
    real_get = cache.get

    def spy(key, *args, **kwargs):
        read.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", spy)
    with django_assert_num_queries(0):
        response = client.get(SEED_PATH, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert any(key.startswith("content:etag:") for key in read)
    assert not any(key.startswith("content:page:") for key in read), read


def test_a_conditional_get_needs_no_body_entry_at_all(client, django_assert_num_queries):
    etag = client.get(SEED_PATH)["ETag"]
    pagecache.forget_process_copies()
    key = pagecache.page_key(path=SEED_PATH, language="en")
    cache.delete(f"content:page:{key}")
    with django_assert_num_queries(0):
        response = client.get(SEED_PATH, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert "Accept-Encoding" in response["Vary"]
    assert "Content-Security-Policy" not in response


def test_a_client_that_accepts_gzip_gets_the_same_page_compressed(client):
    plain = client.get(SEED_PATH)
    assert "Content-Encoding" not in plain
    assert "Accept-Encoding" in plain["Vary"]
    # Twice: the first compresses the process copy, the second reuses the pieces.
    for _ in range(2):
        packed = client.get(SEED_PATH, headers={"Accept-Encoding": "br, gzip;q=0.8"})
        assert packed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed["Vary"]
        assert packed["ETag"] == plain["ETag"]
        assert len(packed.content) < len(plain.content) / 3
        body = gzip.decompress(packed.content)  # checks the CRC and length too
        nonce = _nonce(packed)
        assert f'nonce="{nonce}"'.encode() in body
        assert _without_nonce(packed, body) == _without_nonce(plain, plain.content)


def test_gzip_refused_with_q_zero_gets_the_plain_page(client):
    response = client.get(SEED_PATH, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response
    assert b"<!doctype html>" in response.content


def test_a_gzipped_page_carries_any_nonce_length(client):
    client.get(SEED_PATH)
    key = pagecache.page_key(path=SEED_PATH, language="en")
    page = pagecache.process_copy(key)
    for nonce in (b"", b"n" * 300):
        assert gzip.decompress(page.gzipped(nonce)) == page.body(nonce)


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
    pagecache.forget_process_copies()
    cache.clear()
    # Stored HTML from other code (before a deploy) is not used: every section is drawn.
    monkeypatch.setattr("content.rendering.html_fingerprint", lambda: "drawn-by-other-code")
    with CaptureQueriesContext(connection) as queries:
        afresh = client.get(SEED_PATH)
    assert any("content_faq" in query["sql"] for query in queries)
    assert _without_nonce(afresh, afresh.content) == _without_nonce(stored, stored.content)


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
    pagecache.forget_process_copies()
    cache.clear()
    after = client.get(SEED_PATH)
    assert _without_nonce(after, after.content) == _without_nonce(before, before.content)


def test_deleting_items_in_bulk_redraws_their_section(client):
    page = seed_page()
    faq = FAQ.objects.filter(page=page).first()
    client.get(SEED_PATH)
    # The admin's "delete selected" deletes a queryset; each row still sends its signal.
    FAQ.objects.filter(pk=faq.pk).delete()
    html = client.get(SEED_PATH).content.decode()
    assert faq.question not in html
    assert faq.question not in str(Section.objects.get(page=page, kind="faq").faq_entries)
