"""Nothing typed into /submit/ is lost: answers are kept with the browser's draft, come back
after a reload, and "continue later" emails a link that reopens them elsewhere."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from records.models import UploadDraft
from tests.navigation.test_intake import upload, valid_answers

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"(https?://\S+)(/submit/resume/[^\s/]+/)")


def field_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return match.group(1) if match else ""


def checked(html: str, name: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*value="{re.escape(value)}"[^>]*>', html)
    return tag is not None and "checked" in tag.group(0)


def later(client: Client, **overrides):
    return client.post("/submit/", {**valid_answers(consent=None, **overrides), "action": "later"})


def test_answers_saved_while_typing_come_back_after_a_reload(client):
    client.get("/submit/")
    response = client.post(
        "/submit/draft/", {"full_name": "Mei Lin", "ecog": "2", "treatment_history": "XELOX"}
    )
    assert response.status_code == 200
    html = client.get("/submit/").content.decode()
    assert field_value(html, "full_name") == "Mei Lin"
    assert checked(html, "ecog", "2")
    assert "XELOX</textarea>" in html


def test_answers_of_a_failed_submit_are_kept_for_the_next_visit(client):
    client.post("/submit/", valid_answers(consent=None, full_name="Ravi Kumar"))
    html = client.get("/submit/").content.decode()
    assert field_value(html, "full_name") == "Ravi Kumar"
    # Consent is given when the form is sent, never carried over.
    assert not re.search(r'<input[^>]*name="consent"[^>]*checked', html)


def test_another_browser_does_not_see_the_answers(client):
    client.post("/submit/draft/", {"full_name": "Mei Lin"})
    html = Client().get("/submit/").content.decode()
    assert "Mei Lin" not in html


def test_a_sent_submission_leaves_no_answers_behind(client):
    upload(client)
    client.post("/submit/draft/", {"full_name": "Mei Lin"})
    assert client.post("/submit/", valid_answers()).status_code == 302
    assert "Mei Lin" not in client.get("/submit/").content.decode()


def test_continue_later_emails_a_link_that_reopens_answers_and_files_elsewhere(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8103"
    upload(client, "pathology", "biopsy.pdf")
    response = later(client, full_name="Mei Lin", email="jun@example.org")
    assert response.status_code == 200
    assert "jun@example.org" in response.content.decode()
    message = mail.outbox[-1]
    assert message.to == ["jun@example.org"]
    site, path = LINK_RE.search(message.body).groups()
    assert site == "http://127.0.0.1:8103"

    other = Client()
    assert other.get(path).status_code == 200  # a mail scanner's look spends nothing
    assert other.post(path).status_code == 302
    html = other.get("/submit/").content.decode()
    assert field_value(html, "full_name") == "Mei Lin"
    assert "biopsy.pdf" in html
    # It works once.
    assert Client().post(path).status_code == 400


def test_after_continue_later_this_browser_shows_an_empty_form(client):
    upload(client, "pathology", "biopsy.pdf")
    later(client, full_name="Mei Lin", email="jun@example.org")
    html = client.get("/submit/").content.decode()
    assert "Mei Lin" not in html and "biopsy.pdf" not in html


def test_continue_later_needs_an_email_address_and_keeps_the_answers(client):
    response = later(client, full_name="Mei Lin", email="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "we need your email address" in html
    assert field_value(html, "full_name") == "Mei Lin"
    assert not mail.outbox


def test_a_continue_later_link_expires_with_its_draft(client):
    later(client, email="jun@example.org")
    path = LINK_RE.search(mail.outbox[-1].body).group(2)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert Client().get(path).status_code == 400
        assert Client().post(path).status_code == 400


def test_files_of_the_browser_that_opens_the_link_join_the_draft(client):
    later(client, email="jun@example.org", full_name="Mei Lin")
    path = LINK_RE.search(mail.outbox[-1].body).group(2)
    other = Client()
    other.get("/submit/")
    upload(other, "her2", "her2.pdf")
    other.post(path)
    html = other.get("/submit/").content.decode()
    assert "her2.pdf" in html and field_value(html, "full_name") == "Mei Lin"
    assert UploadDraft.objects.count() == 1


def test_a_draft_keeps_only_the_questions_and_no_more_than_an_answer_holds(client):
    client.get("/submit/")
    client.post(
        "/submit/draft/",
        {"full_name": "Mei Lin", "treatment_history": "x" * 50_000, "anything": "else"},
    )
    answers = UploadDraft.objects.get().answers
    assert set(answers) == {"full_name", "treatment_history"}
    assert len(answers["treatment_history"][0]) <= 5000


def test_when_the_link_cannot_be_mailed_the_answers_are_kept_and_nothing_is_logged(
    client, settings, caplog
):
    settings.MAILERS = {"default": {"BACKEND": "tests.navigation.test_intake_drafts.Refusing"}}
    response = later(client, full_name="Mei Lin", email="jun@example.org")
    assert response.status_code == 503
    assert "jun@example.org" not in caplog.text
    assert UploadDraft.objects.get().answers["full_name"] == ["Mei Lin"]


class Refusing:
    """A mail backend whose relay refuses the recipient, naming it, as SMTP servers do."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise ConnectionRefusedError(f"relay refused {messages[0].to[0]}")
