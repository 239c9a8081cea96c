"""The revision pages in the admin: who may review, publish and restore, and what they see."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from cancerfax.roles import CLINICAL_REVIEWERS, CONTENT_EDITORS
from content.models import FAQ, PageRevision
from content.services.revisions import page_draft_open, revision_create
from tests.conftest import staff_client
from tests.content.factories import SEED_PATH, seed_page

pytestmark = pytest.mark.django_db

NEXT_YEAR = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()


@pytest.fixture
def reviewer(db) -> User:
    user = User.objects.create_user(
        username="reviewer", is_staff=True, first_name="Dana", last_name="Reed"
    )
    user.groups.add(Group.objects.get(name=CLINICAL_REVIEWERS))
    return user


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    return staff_client(Client(), reviewer)


@pytest.fixture
def revision(editor) -> PageRevision:
    draft = page_draft_open(page=seed_page())
    faq = FAQ.objects.filter(page=draft).order_by("position").first()
    faq.answer = "A clearer answer for review."
    faq.save()
    return revision_create(draft=draft, author=editor, note="Clearer first answer.")


def _url(revision: PageRevision, step: str = "change") -> str:
    return f"/admin/content/pagerevision/{revision.pk}/{step}/"


def test_the_revision_page_shows_the_changes_from_the_published_page(reviewer_client, revision):
    html = reviewer_client.get(_url(revision)).content.decode()
    assert "Changes from the published page (revision 1)" in html
    assert "<ins>A clearer answer</ins>" in html
    assert "Clearer first answer." in html
    assert "Record my clinical review" in html
    assert "Publish this revision" not in html  # reviewers review; editors publish


def test_a_reviewer_records_the_review_and_the_editor_sees_who_and_when(
    reviewer_client, editor_client, revision
):
    response = reviewer_client.post(
        _url(revision, "review"),
        {"reviewer_credit": "Dr Dana Reed, oncologist", "next_review_due": NEXT_YEAR},
    )
    assert response.status_code == 302
    html = editor_client.get(_url(revision)).content.decode()
    assert "Reviewed by Dr Dana Reed, oncologist on" in html
    assert "Publish this revision" in html
    revision.refresh_from_db()
    assert revision.reviewed_by.username == "reviewer"


def test_a_review_without_a_due_date_is_refused_in_words(reviewer_client, revision):
    response = reviewer_client.post(_url(revision, "review"), {"reviewer_credit": "Dr Dana"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    revision.refresh_from_db()
    assert not revision.is_reviewed


def test_an_editor_may_not_record_a_review_and_a_reviewer_may_not_publish(
    editor_client, reviewer_client, coordinator_client, revision
):
    data = {"reviewer_credit": "Me", "next_review_due": NEXT_YEAR}
    assert editor_client.post(_url(revision, "review"), data).status_code == 403
    assert coordinator_client.post(_url(revision, "review"), data).status_code == 403
    assert reviewer_client.post(_url(revision, "publish")).status_code == 403
    assert coordinator_client.post(_url(revision, "publish")).status_code == 403
    assert reviewer_client.post(_url(revision, "restore")).status_code == 403
    revision.refresh_from_db()
    assert not revision.is_reviewed and revision.published_at is None


def test_a_reviewer_who_wrote_the_revision_is_told_someone_else_must_review_it(reviewer):
    reviewer.groups.add(Group.objects.get(name=CONTENT_EDITORS))
    own = revision_create(draft=page_draft_open(page=seed_page()), author=reviewer)
    client = staff_client(Client(), reviewer)
    assert "another clinical reviewer must review it" in client.get(_url(own)).content.decode()
    response = client.post(
        _url(own, "review"), {"reviewer_credit": "Me", "next_review_due": NEXT_YEAR}
    )
    assert "another clinical reviewer must review it" in response.content.decode()
    own.refresh_from_db()
    assert not own.is_reviewed


def test_publish_then_restore_from_the_admin(client, editor_client, revision):
    before = client.get(SEED_PATH).content.decode()
    assert editor_client.post(_url(revision, "publish")).status_code == 302
    assert "A clearer answer for review." in client.get(SEED_PATH).content.decode()
    first = PageRevision.objects.get(page=revision.page, number=1)
    # What restoring would change, against what the public sees now.
    html = editor_client.get(_url(first)).content.decode()
    assert "Changes from the published page (revision 2)" in html
    assert "<del>clearer answer for review.</del>" in html
    response = editor_client.post(_url(first, "restore"))
    restored = PageRevision.objects.get(restored_from=first)
    assert response["Location"] == _url(restored)
    history = editor_client.get(_url(restored, "history")).content.decode()
    assert "Revision 1 restored" in history
    after = client.get(SEED_PATH).content.decode()
    assert "A clearer answer for review." not in after
    json_ld = '<script type="application/ld+json">'
    assert after.split(json_ld)[0] == before.split(json_ld)[0]


def test_the_revision_preview_is_not_cached_or_indexed(reviewer_client, revision):
    response = reviewer_client.get(_url(revision, "preview"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert "Preview of revision 2" in response.content.decode()


def test_the_revision_list_shows_each_revision_state(editor_client, revision):
    html = editor_client.get("/admin/content/pagerevision/").content.decode()
    assert "Awaiting clinical review" in html
    assert "Published" in html
