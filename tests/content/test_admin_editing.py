"""Acceptance 2: an editor changes the page in the admin; the public sees it at once and
the history keeps what it said before. Plus the validation editors meet there."""

from __future__ import annotations

from decimal import Decimal

import pytest

from content.models import FAQ, EvidenceOutcome, InformationPage, PageStatus
from tests.content.factories import SEED_PATH, seed_page
from tests.content.pagetext import form_fields, main_text

pytestmark = pytest.mark.django_db

FORM_ID = "informationpage_form"


def _change_url(page: InformationPage) -> str:
    return f"/admin/content/informationpage/{page.pk}/change/"


def _field_named(data: dict[str, str], suffix: str, value: str) -> str:
    names = [name for name, v in data.items() if name.endswith(suffix) and v == value]
    assert len(names) == 1, f"expected one {suffix} field holding {value!r}, found {names}"
    return names[0]


def _edit_page(editor_client, page, changes) -> tuple[int, str]:
    """GET the change form, change some fields as a person would, POST it back."""
    url = _change_url(page)
    response = editor_client.get(url)
    assert response.status_code == 200
    data = form_fields(response.content.decode(), FORM_ID)
    changes(data)
    data["_continue"] = "Save and continue editing"
    response = editor_client.post(url, data)
    return response.status_code, response.content.decode()


def test_an_editor_changes_an_faq_answer_and_a_range_and_the_public_sees_it_at_once(
    client, editor_client
):
    page = seed_page()
    faq = FAQ.objects.filter(page=page).order_by("position").first()
    outcome = EvidenceOutcome.objects.filter(page=page).order_by("position").first()
    old_answer = faq.answer
    public_before = main_text(client.get(SEED_PATH).content.decode())  # now cached
    assert "~70–76%" in public_before

    def changes(data):
        data[_field_named(data, "-answer", old_answer)] = "A clearer answer, reviewed."
        data[_field_named(data, "-treatment_high", "76.00")] = "79"
        data[_field_named(data, "-treatment_low", "70.00")] = "71.5"

    status, body = _edit_page(editor_client, page, changes)
    assert status == 302, body

    public_after = client.get(SEED_PATH).content.decode()
    text = main_text(public_after)
    assert "A clearer answer, reviewed." in text
    assert old_answer not in text
    assert "1-year OS (CIK + chemo) ~71.5–79%" in text
    # The chart moved with the figures.
    assert 'x="71.5" y="3" width="7.5"' in public_after

    faq.refresh_from_db()
    earlier = faq.history.order_by("history_date", "history_id")
    assert [record.answer for record in earlier][-2:] == [old_answer, faq.answer]
    latest = earlier.last()
    assert latest.history_user.username == "editor"
    assert [r.treatment_high for r in outcome.history.order_by("history_id")][-2:] == [
        Decimal("76.00"),
        Decimal("79.00"),
    ]

    # The admin shows the earlier version on request.
    previous = earlier[len(earlier) - 2]
    history_page = editor_client.get(f"/admin/content/faq/{faq.pk}/history/")
    assert history_page.status_code == 200
    assert "editor" in history_page.content.decode()
    old_version = editor_client.get(f"/admin/content/faq/{faq.pk}/history/{previous.history_id}/")
    assert old_version.status_code == 200
    assert old_answer in old_version.content.decode()


def test_the_page_change_form_links_each_part_to_its_history(editor_client):
    page = seed_page()
    faq = FAQ.objects.filter(page=page).first()
    html = editor_client.get(_change_url(page)).content.decode()
    assert f"/admin/content/faq/{faq.pk}/history/" in html
    assert f"/preview/{page.pk}/" in html


def test_an_editor_can_unpublish_and_the_page_leaves_the_public_site(client, editor_client):
    page = seed_page()
    assert client.get(SEED_PATH).status_code == 200

    def changes(data):
        data["status"] = PageStatus.DRAFT

    status, body = _edit_page(editor_client, page, changes)
    assert status == 302, body
    assert client.get(SEED_PATH).status_code == 404
    assert editor_client.get(f"/preview/{page.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("suffix", "old", "new", "message"),
    [
        ("-treatment_low", "70.00", "90", "is above the high figure"),
        ("-control_high", "62.00", "140", "a percentage cannot be over 100"),
    ],
)
def test_nonsense_ranges_are_refused_with_a_clear_message(
    client, editor_client, suffix, old, new, message
):
    page = seed_page()
    before = client.get(SEED_PATH).content

    def changes(data):
        data[_field_named(data, suffix, old)] = new

    status, body = _edit_page(editor_client, page, changes)
    assert status == 200
    assert message in body
    assert client.get(SEED_PATH).content.split(b"nonce=")[0] == before.split(b"nonce=")[0]
    assert not EvidenceOutcome.objects.filter(treatment_low=90).exists()


def test_an_empty_faq_answer_is_refused_and_nothing_is_lost(editor_client):
    page = seed_page()
    faq = FAQ.objects.filter(page=page).order_by("position").first()
    question = FAQ.objects.filter(page=page).order_by("position")[1]

    def changes(data):
        data[_field_named(data, "-answer", faq.answer)] = "   "
        # Another change in the same save must survive the refusal in the form.
        data[_field_named(data, "-question", question.question)] = "Edited question?"

    status, body = _edit_page(editor_client, page, changes)
    assert status == 200
    assert "Write an answer: a question without one cannot be shown." in body
    assert "Edited question?" in body  # still in the form, for the editor to fix and save
    faq.refresh_from_db()
    assert faq.answer


def test_review_due_before_last_review_is_refused(editor_client):
    page = seed_page()

    def changes(data):
        data["last_reviewed"] = "2026-11-01"
        data["next_review_due"] = "2026-10-01"

    status, body = _edit_page(editor_client, page, changes)
    assert status == 200
    assert "The next review must be due after the last review." in body


def test_a_call_to_action_cannot_link_off_site(editor_client):
    page = seed_page()

    def changes(data):
        data[_field_named(data, "-url", "/submit/")] = "javascript:alert(1)"

    status, body = _edit_page(editor_client, page, changes)
    assert status == 200
    assert "Link to a page of this site" in body
