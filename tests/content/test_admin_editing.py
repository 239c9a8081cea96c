"""Editors change a published page through its draft in the admin: the public page stays as
it was until a revision is published. Plus the validation editors meet there."""

from __future__ import annotations

import pytest

from content.models import FAQ, EvidenceOutcome, InformationPage, PageRevision, PageStatus
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


def _open_draft(editor_client, page: InformationPage) -> InformationPage:
    """What the "Edit in a draft" button does."""
    response = editor_client.post(f"/admin/content/informationpage/{page.pk}/draft/")
    assert response.status_code == 302
    draft = InformationPage.objects.get(draft_of=page)
    assert response["Location"] == _change_url(draft)
    return draft


def _edit_page(editor_client, page, changes) -> tuple[int, str]:
    """Open the page's draft, change some fields as a person would, POST the form back."""
    draft = _open_draft(editor_client, page) if page.is_published else page
    url = _change_url(draft)
    response = editor_client.get(url)
    assert response.status_code == 200
    data = form_fields(response.content.decode(), FORM_ID)
    changes(data)
    data["_continue"] = "Save and continue editing"
    response = editor_client.post(url, data)
    return response.status_code, response.content.decode()


def test_an_editor_changes_a_draft_and_the_public_sees_it_only_once_published(
    client, editor_client
):
    page = seed_page()
    old_answer = FAQ.objects.filter(page=page).order_by("position").first().answer
    public_before = client.get(SEED_PATH).content.decode()  # now cached
    assert "~70–76%" in main_text(public_before)

    def changes(data):
        data[_field_named(data, "-answer", old_answer)] = "A clearer answer, reviewed."
        data[_field_named(data, "-treatment_high", "76.00")] = "79"
        data[_field_named(data, "-treatment_low", "70.00")] = "71.5"

    status, body = _edit_page(editor_client, page, changes)
    assert status == 302, body
    draft = InformationPage.objects.get(draft_of=page)

    # The public page is unchanged, cached or not.
    assert main_text(client.get(SEED_PATH).content.decode()) == main_text(public_before)
    assert FAQ.objects.filter(page=page, answer=old_answer).exists()
    # The editor's preview shows the draft.
    preview = main_text(editor_client.get(f"/preview/{draft.pk}/").content.decode())
    assert "A clearer answer, reviewed." in preview
    assert "1-year OS (CIK + chemo) ~71.5–79%" in preview

    response = editor_client.post(
        f"/admin/content/informationpage/{draft.pk}/revise/", {"note": "Clearer answer."}
    )
    revision = PageRevision.objects.get(page=page, created_by__username="editor")
    assert response["Location"] == f"/admin/content/pagerevision/{revision.pk}/change/"
    assert main_text(client.get(SEED_PATH).content.decode()) == main_text(public_before)

    response = editor_client.post(f"/admin/content/pagerevision/{revision.pk}/publish/")
    assert response.status_code == 302
    public_after = client.get(SEED_PATH).content.decode()
    text = main_text(public_after)
    assert "A clearer answer, reviewed." in text
    assert old_answer not in text
    assert "1-year OS (CIK + chemo) ~71.5–79%" in text
    # The chart moved with the figures.
    assert 'x="71.5" y="3" width="7.5"' in public_after
    # The draft is done with; the page as it was is the revision before.
    assert not InformationPage.objects.filter(draft_of=page).exists()
    earlier = PageRevision.objects.get(page=page, number=revision.number - 1)
    assert earlier.snapshot["parts"] != revision.snapshot["parts"]
    assert old_answer in str(earlier.snapshot)


def test_the_draft_change_form_links_each_part_to_its_history_and_its_preview(editor_client):
    draft = _open_draft(editor_client, seed_page())
    faq = FAQ.objects.filter(page=draft).first()
    html = editor_client.get(_change_url(draft)).content.decode()
    assert f"/admin/content/faq/{faq.pk}/history/" in html
    assert f"/preview/{draft.pk}/" in html


def test_the_published_page_cannot_be_set_to_draft_or_changed_in_place(client, editor_client):
    page = seed_page()
    faq = FAQ.objects.filter(page=page).first()
    form = editor_client.get(_change_url(page)).content.decode()
    assert 'name="status"' not in form
    assert "Edit in a draft" in form
    data = {"title": "Changed", "status": PageStatus.DRAFT}
    assert editor_client.post(_change_url(page), data).status_code == 403
    assert editor_client.post(f"/admin/content/faq/{faq.pk}/change/", {}).status_code == 403
    assert (
        editor_client.post(f"/admin/content/faq/{faq.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    # An earlier version of a published part cannot be saved back over it either.
    record = faq.history.order_by("history_id").first()
    revert = editor_client.post(
        f"/admin/content/faq/{faq.pk}/history/{record.history_id}/",
        {"question": "Reverted?", "answer": "Reverted.", "position": 1},
    )
    assert revert.status_code == 403
    page.refresh_from_db()
    assert page.is_published
    assert client.get(SEED_PATH).status_code == 200
    assert FAQ.objects.get(pk=faq.pk).question == faq.question


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
    # Everything before the JSON-LD block (whose dateModified a refused save may not move).
    json_ld = b'<script type="application/ld+json">'
    assert client.get(SEED_PATH).content.split(json_ld)[0] == before.split(json_ld)[0]
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
    assert not FAQ.objects.filter(question="Edited question?").exists()
    faq.refresh_from_db()
    assert faq.answer


def test_a_call_to_action_cannot_link_off_site(editor_client):
    page = seed_page()

    def changes(data):
        data[_field_named(data, "-url", "/submit/")] = "javascript:alert(1)"

    status, body = _edit_page(editor_client, page, changes)
    assert status == 200
    assert "Link to a page of this site" in body
