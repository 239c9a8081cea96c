"""Anonymous uploads cannot fill private storage: a byte budget per client, a quota on what
unsubmitted drafts hold together, and a short life for drafts nobody submits."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client

from records.models import Document, UploadDraft
from records.services.drafts import drafts_expire

from .conftest import post_upload, stored_files
from .files import image_bytes, pdf_bytes
from .test_hostile_corpus import ROUTES, Route

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route_name", ROUTES)
def test_a_client_past_its_hourly_byte_budget_is_refused_even_in_a_fresh_session(
    client, settings, private_dir, upload_temp_dir, route_name
):
    first, second = pdf_bytes("First."), image_bytes("PNG", (400, 400))
    settings.UPLOAD_CLIENT_BYTES_PER_HOUR = len(first) + len(second) // 2
    route = Route(route_name, client)
    route.send([("first.pdf", first)], "pathology")
    assert Document.objects.count() == 1

    # A new session is a new draft, but the same address: the budget follows the client.
    if not route_name.startswith("portal"):
        route.client = Client()
    sent = route.send([("second.png", second)], "her2")

    assert sent.status == 400
    assert "a lot of data from this connection" in sent.text
    assert Document.objects.count() == 1
    assert len(stored_files(private_dir)) == 1
    assert stored_files(upload_temp_dir) == []


def test_the_byte_budget_is_per_client_address(settings):
    data = pdf_bytes()
    settings.UPLOAD_CLIENT_BYTES_PER_HOUR = len(data) + 10
    assert (
        post_upload(Client(REMOTE_ADDR="192.0.2.1"), "a.pdf", data, "pathology").status_code == 201
    )
    assert (
        post_upload(Client(REMOTE_ADDR="192.0.2.1"), "b.pdf", pdf_bytes("B"), "her2").status_code
        == 400
    )
    assert (
        post_upload(Client(REMOTE_ADDR="192.0.2.2"), "c.pdf", pdf_bytes("C"), "her2").status_code
        == 201
    )


@pytest.mark.parametrize("route_name", ["javascript", "no_javascript"])
def test_when_unsubmitted_drafts_are_full_new_uploads_are_refused_and_coordinators_told_once(
    client, settings, private_dir, route_name
):
    settings.COORDINATOR_EMAILS = ["coordinators@example.org"]
    first = pdf_bytes("First.")
    settings.UPLOAD_DRAFTS_MAX_BYTES = len(first) + 100
    assert post_upload(Client(), "first.pdf", first, "pathology").status_code == 201

    route = Route(route_name, client)
    sent = route.send([("second.pdf", pdf_bytes("Second."))], "pathology")
    again = Route(route_name, Client()).send([("third.pdf", pdf_bytes("Third."))], "her2")

    for refused in (sent, again):
        assert refused.status == 400
        assert "can't take new documents with a submission right now" in refused.text
    assert Document.objects.count() == 1
    assert len(stored_files(private_dir)) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["coordinators@example.org"]
    assert "UPLOAD_DRAFTS_MAX_BYTES" in mail.outbox[0].body


def test_the_portal_still_takes_documents_when_drafts_are_full(client, settings):
    settings.UPLOAD_DRAFTS_MAX_BYTES = 0
    route = Route("portal", client)
    sent = route.send([("her2.pdf", pdf_bytes())], "her2")
    assert sent.status == 302
    assert Document.objects.filter(patient=route.case.patient).count() == 1


def test_a_draft_nobody_submits_is_removed_with_its_files_after_a_day(
    settings, private_dir, django_capture_on_commit_callbacks
):
    settings.UPLOAD_DRAFT_MAX_AGE_HOURS = 24
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        post_upload(Client(), "old.pdf", pdf_bytes("Old."), "pathology")
    with time_machine.travel(start + datetime.timedelta(hours=20), tick=False):
        post_upload(Client(), "new.pdf", pdf_bytes("New."), "pathology")

    with (
        time_machine.travel(start + datetime.timedelta(hours=25), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert drafts_expire() == 1

    assert UploadDraft.objects.count() == 1
    assert [d.original_name for d in Document.objects.all()] == ["new.pdf"]
    assert len(stored_files(private_dir)) == 1


def test_a_draft_its_patient_chose_to_continue_later_outlives_the_day(settings):
    from records.services.drafts import draft_resume_link_issue

    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        post_upload(Client(), "kept.pdf", pdf_bytes("Kept."), "pathology")
        draft_resume_link_issue(draft=UploadDraft.objects.get())

    assert drafts_expire(now=start + datetime.timedelta(days=3)) == 0
    assert drafts_expire(now=start + datetime.timedelta(days=15)) == 1
