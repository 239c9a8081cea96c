"""Acceptance 3 and the serving rules: queries, cache, ETag, CSP nonce, drafts, SEO."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache

from content.models import FAQ, PageStatus
from tests.content.factories import SEED_PATH, add_faqs, add_outcomes, make_page, seed_page

pytestmark = pytest.mark.django_db


def test_the_page_renders_in_at_most_three_queries_uncached(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert client.get(SEED_PATH).status_code == 200


def test_many_faqs_and_outcomes_do_not_add_queries(client, django_assert_max_num_queries):
    page = seed_page()
    add_faqs(page, 40)
    add_outcomes(page, 15)
    make_page(path="/cik/lung-cancer/")
    cache.clear()
    with django_assert_max_num_queries(3):
        response = client.get(SEED_PATH)
    html = response.content.decode()
    assert "Question 39?" in html
    assert "Outcome 14" in html
    assert "CIK Therapy for Lung Cancer" in html  # the library section's other pages


def test_a_cached_page_is_served_without_touching_the_database(client, django_assert_num_queries):
    client.get(SEED_PATH)
    with django_assert_num_queries(0):
        assert client.get(SEED_PATH).status_code == 200


def test_a_conditional_get_with_the_etag_gets_304(client):
    etag = client.get(SEED_PATH)["ETag"]
    again = client.get(SEED_PATH, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_an_old_etag_gets_the_new_page_after_an_edit(client):
    etag = client.get(SEED_PATH)["ETag"]
    faq = FAQ.objects.filter(page=seed_page()).first()
    faq.answer = "A reviewed answer."
    faq.save()
    response = client.get(SEED_PATH, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "A reviewed answer." in response.content.decode()


def test_the_page_carries_no_nonce_so_every_visitor_gets_the_same_bytes(client):
    first = client.get(SEED_PATH)
    second = client.get(SEED_PATH)
    html = first.content.decode()
    assert '<script type="application/ld+json">' in html
    assert "nonce" not in html
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    # The policy still applies; with nothing to allow by nonce, scripts come from the site only.
    assert "script-src 'self'" in second["Content-Security-Policy"]


def test_saving_any_part_invalidates_the_cached_page(client):
    client.get(SEED_PATH)
    faq = FAQ.objects.filter(page=seed_page()).first()
    faq.question = "Is this question new?"
    faq.save()
    assert "Is this question new?" in client.get(SEED_PATH).content.decode()
    faq.delete()
    assert "Is this question new?" not in client.get(SEED_PATH).content.decode()


def test_a_draft_page_is_404_to_the_public(client):
    make_page(path="/cik/lung-cancer/", status=PageStatus.DRAFT)
    assert client.get("/cik/lung-cancer/").status_code == 404
    page = seed_page()
    client.get(SEED_PATH)
    page.status = PageStatus.DRAFT
    page.save()
    assert client.get(SEED_PATH).status_code == 404


def test_staff_preview_a_draft_and_the_public_cannot(client, editor_client):
    page = make_page(path="/cik/lung-cancer/", status=PageStatus.DRAFT)
    url = f"/preview/{page.pk}/"
    response = editor_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "CIK Therapy for Lung Cancer" in html
    assert "Draft preview" in html
    assert "no-store" in response["Cache-Control"]
    editor_client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")


def test_staff_without_content_permission_cannot_preview(client, django_user_model):
    from tests.conftest import staff_client

    page = make_page(path="/cik/lung-cancer/", status=PageStatus.DRAFT)
    clerk = django_user_model.objects.create_user("clerk", password="x" * 20, is_staff=True)
    assert staff_client(client, clerk).get(f"/preview/{page.pk}/").status_code == 403


def test_the_page_describes_itself_to_search_engines(client, settings):
    settings.SITE_URL = "https://navigator.example.org"
    html = client.get(SEED_PATH).content.decode()
    assert (
        '<link rel="canonical" href="https://navigator.example.org/cik/gastric-cancer/">' in html
    )
    page = seed_page()
    assert f'<meta name="description" content="{page.summary}">' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)[1]
    )
    by_type = {node["@type"]: node for node in data["@graph"]}
    assert by_type["MedicalWebPage"]["url"] == "https://navigator.example.org/cik/gastric-cancer/"
    assert by_type["MedicalWebPage"]["about"]["name"] == "Gastric cancer"
    questions = by_type["FAQPage"]["mainEntity"]
    assert [q["name"] for q in questions] == list(
        FAQ.objects.filter(page=page).values_list("question", flat=True)
    )
    assert all(q["acceptedAnswer"]["text"] for q in questions)


def test_json_ld_cannot_be_broken_out_of(client):
    faq = FAQ.objects.filter(page=seed_page()).first()
    faq.answer = "</script><script>alert(1)</script>"
    faq.save()
    html = client.get(SEED_PATH).content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_review_dates_and_reviewer_are_shown(client):
    import datetime

    page = seed_page()
    page.last_reviewed = datetime.date(2026, 11, 2)
    page.next_review_due = datetime.date(2027, 5, 2)
    page.clinical_reviewer = "Dr A. Reviewer, consultant medical oncologist"
    page.save()
    html = client.get(SEED_PATH).content.decode()
    assert "Last reviewed on 2 November 2026 by Dr A. Reviewer" in html
    assert "Next review due 2 May 2027" in html
    assert '"lastReviewed": "2026-11-02"' in html


def test_the_page_links_to_the_eligibility_check_and_records_submission(client):
    html = client.get(SEED_PATH).content.decode()
    assert 'href="/eligibility/"' in html
    assert 'href="/submit/"' in html


def test_the_library_lists_published_pages_only(client):
    make_page(path="/cik/lung-cancer/", title="Lung page", status=PageStatus.DRAFT)
    html = client.get("/").content.decode()
    assert 'href="/cik/gastric-cancer/"' in html
    assert "Lung page" not in html


def test_sitemap_lists_published_pages_at_the_public_address(client, settings):
    settings.SITE_URL = "https://navigator.example.org"
    make_page(path="/cik/lung-cancer/", status=PageStatus.DRAFT)
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>https://navigator.example.org/cik/gastric-cancer/</loc>" in xml
    assert "<loc>https://navigator.example.org/</loc>" in xml
    assert "lung-cancer" not in xml


def test_robots_txt_keeps_crawlers_out_of_private_areas_and_names_the_sitemap(client, settings):
    settings.SITE_URL = "https://navigator.example.org"
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Disallow: /admin/" in text
    assert "Disallow: /portal/" in text
    assert "Sitemap: https://navigator.example.org/sitemap.xml" in text


def test_the_page_is_still_served_when_the_cache_server_is_down(client, settings):
    # A real Redis client pointed at a port where nothing listens.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = client.get(SEED_PATH)
    assert response.status_code == 200
    assert "Frequently Asked Questions" in response.content.decode()


def test_preview_needs_the_second_factor_like_the_admin(client, editor):
    page = make_page(path="/cik/lung-cancer/", status=PageStatus.DRAFT)
    client.force_login(editor)  # password only, no verified device
    response = client.get(f"/preview/{page.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
