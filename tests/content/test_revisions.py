"""Drafts, revisions, clinical review, publication and restoring, through the services."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cancerfax.roles import CLINICAL_REVIEWERS
from content.caching import content_version
from content.diffing import snapshot_changes
from content.models import FAQ, InformationPage, PageRevision, PageStatus, Part
from content.services.revisions import (
    RevisionError,
    page_draft_open,
    page_snapshot,
    revision_create,
    revision_page_content,
    revision_publish,
    revision_restore,
    revision_review,
)
from tests.content.factories import SEED_PATH, seed_page
from tests.content.pagetext import main_text

pytestmark = pytest.mark.django_db

AWAITING = "This page is awaiting its clinical review."
NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


@pytest.fixture
def reviewer(db) -> User:
    user = User.objects.create_user(username="reviewer", is_staff=True, first_name="Dana")
    user.groups.add(Group.objects.get(name=CLINICAL_REVIEWERS))
    return user


def _draft_with_new_answer(answer: str) -> InformationPage:
    draft = page_draft_open(page=seed_page())
    faq = FAQ.objects.filter(page=draft).order_by("position").first()
    faq.answer = answer
    faq.save()
    return draft


def _public_text(client) -> str:
    response = client.get(SEED_PATH)
    assert response.status_code == 200
    return main_text(response.content.decode())


def test_a_draft_copies_every_part_of_the_page_and_is_opened_once():
    page = seed_page()
    draft = page_draft_open(page=page)
    assert draft.draft_of == page
    assert draft.status == PageStatus.DRAFT
    assert page_snapshot(draft) == page_snapshot(page)
    assert page_draft_open(page=page) == draft
    assert page_draft_open(page=draft) == draft


def test_changing_a_draft_leaves_the_public_page_and_its_cached_copies_alone(client):
    before = _public_text(client)
    version = content_version()
    _draft_with_new_answer("A draft answer.")
    assert content_version() == version
    assert _public_text(client) == before
    assert "A draft answer." not in before


def test_publishing_replaces_the_whole_page_at_once_and_drops_the_draft(client, editor):
    draft = _draft_with_new_answer("A published answer.")
    removed = FAQ.objects.filter(page=draft).order_by("position").last()
    removed.delete()
    revision = revision_create(draft=draft, author=editor, note="Shorter FAQ.")
    _public_text(client)  # cached

    revision_publish(revision=revision, publisher=editor)

    text = _public_text(client)
    assert "A published answer." in text
    assert removed.question not in text
    page = seed_page()
    assert page.is_published
    assert page_snapshot(page) == revision.snapshot
    assert not InformationPage.objects.filter(draft_of=page).exists()
    # The page as it was before revisions were kept is revision 1.
    assert [r.number for r in page.revisions.order_by("number")] == [1, 2]
    assert removed.question in str(page.revisions.get(number=1).snapshot)


def test_a_draft_changed_after_it_was_sent_for_review_survives_publication(editor):
    draft = _draft_with_new_answer("First answer.")
    revision = revision_create(draft=draft, author=editor)
    faq = FAQ.objects.filter(page=draft).order_by("position").first()
    faq.answer = "Second thoughts."
    faq.save()
    revision_publish(revision=revision, publisher=editor)
    assert FAQ.objects.filter(page=draft, answer="Second thoughts.").exists()


def test_the_author_cannot_review_their_own_revision(editor):
    revision = revision_create(draft=_draft_with_new_answer("x"), author=editor)
    with pytest.raises(RevisionError, match="another person must review it"):
        revision_review(
            revision=revision, reviewer=editor, next_review_due=NEXT_YEAR, reviewer_credit="Ed"
        )
    revision.refresh_from_db()
    assert not revision.is_reviewed


def test_the_database_refuses_a_review_by_the_author_that_skipped_the_service(editor):
    revision = revision_create(draft=_draft_with_new_answer("x"), author=editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        PageRevision.objects.filter(pk=revision.pk).update(
            reviewed_by=editor, reviewed_at=timezone.now()
        )


def test_a_revision_is_reviewed_once_with_a_future_due_date(editor, reviewer):
    revision = revision_create(draft=_draft_with_new_answer("x"), author=editor)
    with pytest.raises(RevisionError, match="due after today"):
        revision_review(
            revision=revision,
            reviewer=reviewer,
            next_review_due=timezone.localdate(),
            reviewer_credit="Dr Dana, oncologist",
        )
    revision_review(
        revision=revision,
        reviewer=reviewer,
        next_review_due=NEXT_YEAR,
        reviewer_credit="Dr Dana, oncologist",
    )
    with pytest.raises(RevisionError, match="already been reviewed"):
        revision_review(
            revision=revision, reviewer=reviewer, next_review_due=NEXT_YEAR, reviewer_credit="D"
        )
    revision.refresh_from_db()
    assert revision.reviewed_by == reviewer
    assert revision.next_review_due == NEXT_YEAR


def test_the_page_awaits_review_until_its_published_revision_is_reviewed(client, editor, reviewer):
    assert AWAITING in _public_text(client)
    revision = revision_create(draft=_draft_with_new_answer("Reviewed later."), author=editor)
    revision_publish(revision=revision, publisher=editor)
    assert AWAITING in _public_text(client)

    revision_review(
        revision=revision,
        reviewer=reviewer,
        next_review_due=NEXT_YEAR,
        reviewer_credit="Dr Dana, oncologist",
    )

    text = _public_text(client)
    assert AWAITING not in text
    assert "by Dr Dana, oncologist" in text
    assert NEXT_YEAR.strftime("%Y") in text


def test_restoring_publishes_an_earlier_revision_again_with_its_review(client, editor, reviewer):
    original_text = _public_text(client)
    first = revision_create(draft=_draft_with_new_answer("Version A."), author=editor)
    revision_review(
        revision=first, reviewer=reviewer, next_review_due=NEXT_YEAR, reviewer_credit="Dr Dana"
    )
    revision_publish(revision=first, publisher=editor)
    second = revision_create(draft=_draft_with_new_answer("Version B."), author=editor)
    revision_publish(revision=second, publisher=editor)
    assert "Version B." in _public_text(client)
    assert AWAITING in _public_text(client)

    restored = revision_restore(revision=first, publisher=editor)

    text = _public_text(client)
    assert "Version A." in text
    assert "Version B." not in text
    assert "by Dr Dana" in text
    assert restored.number == second.number + 1
    assert restored.restored_from == first
    assert restored.snapshot == first.snapshot
    with pytest.raises(RevisionError, match="published page already"):
        revision_restore(revision=restored, publisher=editor)
    # The page as it was first is there to go back to as well.
    revision_restore(revision=seed_page().revisions.get(number=1), publisher=editor)
    assert _public_text(client) == original_text


def test_a_revision_is_published_once_and_restored_after_that(editor):
    revision = revision_create(draft=_draft_with_new_answer("x"), author=editor)
    revision_publish(revision=revision, publisher=editor)
    with pytest.raises(RevisionError, match="restore it"):
        revision_publish(revision=revision, publisher=editor)


def test_the_published_page_itself_is_never_sent_as_a_revision(editor):
    with pytest.raises(RevisionError):
        revision_create(draft=seed_page(), author=editor)


def test_a_new_page_is_published_through_its_first_revision(client, editor):
    page = InformationPage.objects.create(
        path="/cik/lung-cancer/",
        title="CIK for lung cancer",
        subtitle="s",
        summary="s",
        therapy="CIK",
        condition="Lung cancer",
        disclaimer="d",
    )
    assert page_draft_open(page=page) == page
    assert client.get(page.path).status_code == 404
    revision_publish(revision=revision_create(draft=page, author=editor), publisher=editor)
    assert client.get(page.path).status_code == 200


def test_the_comparison_marks_changed_words_and_one_added_faq(editor):
    page = seed_page()
    draft = page_draft_open(page=page)
    first = FAQ.objects.filter(page=draft).order_by("position").first()
    first.answer = first.answer.replace("limited", "scarce", 1)
    first.save()
    FAQ.objects.create(page=draft, position=first.position, question="New?", answer="Yes.")
    changes = snapshot_changes(page_snapshot(page), page_snapshot(draft))
    assert [change.what for change in changes].count("added") == 1
    added = next(change for change in changes if change.what == "added")
    assert "New?" in added.after
    changed = next(change for change in changes if change.what == "changed")
    assert "<del>limited</del>" in changed.before
    assert "<ins>scarce</ins>" in changed.after
    assert len(changes) == 2


def test_the_comparison_escapes_what_editors_wrote(editor):
    page = seed_page()
    draft = page_draft_open(page=page)
    FAQ.objects.create(page=draft, position=999, question="<script>x</script>?", answer="a")
    changes = snapshot_changes(page_snapshot(page), page_snapshot(draft))
    assert "<script>" not in "".join(change.after for change in changes)


def test_a_revision_preview_shows_its_content_without_touching_the_page(editor):
    revision = revision_create(
        draft=_draft_with_new_answer("Only in the revision."), author=editor
    )
    parts_before = Part.objects.count()
    content = revision_page_content(revision)
    html = "".join(section.html for section in content.sections)
    assert "Only in the revision." in html
    assert Part.objects.count() == parts_before


def test_a_drafts_preview_lists_the_other_pages_but_not_its_own(editor_client):
    from tests.content.factories import make_page

    make_page(path="/cik/lung-cancer/")
    draft = page_draft_open(page=seed_page())
    html = editor_client.get(f"/preview/{draft.pk}/").content.decode()
    assert '<li><a href="/cik/lung-cancer/">' in html
    assert f'<li><a href="{SEED_PATH}">' not in html
