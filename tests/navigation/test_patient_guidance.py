"""What a patient is told at each step: when to expect an answer, whom to contact, that the
service is not for emergencies, what an upload did, and who looked at their records."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cancerfax.roles import COORDINATORS
from records.models import AuditEvent
from records.services.audit import audit_record
from tests.navigation.test_intake import pdf_bytes, upload, valid_answers
from tests.navigation.test_portal_signin import make_case, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_settings(settings):
    settings.SERVICE_RESPONSE_TIME = "within 3 working days"
    settings.CONTACT_EMAIL = "help@navigator.example.org"
    settings.CONTACT_PHONE = "+44 20 7946 0000"
    settings.CONTACT_MESSAGING = "WhatsApp +44 7700 900123"
    return settings


def assert_tells_what_happens_next(html: str) -> None:
    assert "within 3 working days" in html
    assert "help@navigator.example.org" in html
    assert 'href="tel:+442079460000"' in html
    assert "WhatsApp +44 7700 900123" in html
    assert "not for urgent or emergency problems" in html
    assert "local emergency services" in html


def test_the_confirmation_page_says_when_we_answer_and_how_to_reach_us(client, contact_settings):
    upload(client)
    assert client.post("/submit/", valid_answers()).status_code == 302
    assert_tells_what_happens_next(client.get("/submit/received/").content.decode())


def test_the_portal_case_page_says_when_we_answer_and_how_to_reach_us(client, contact_settings):
    case = make_case()
    sign_in(client, "ana@example.org")
    page = client.get(reverse("navigation:portal_case", args=[case.reference]))
    assert_tells_what_happens_next(page.content.decode())


def test_an_unset_contact_route_is_left_out(client, contact_settings):
    contact_settings.CONTACT_PHONE = ""
    contact_settings.CONTACT_MESSAGING = ""
    case = make_case()
    sign_in(client, "ana@example.org")
    html = client.get(reverse("navigation:portal_case", args=[case.reference])).content.decode()
    assert "help@navigator.example.org" in html
    assert "Phone:" not in html and "Messaging:" not in html


def test_an_upload_in_the_portal_is_confirmed_where_the_page_opens(client):
    case = make_case()
    sign_in(client, "ana@example.org")
    files = [
        SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")
        for name in ("ct.pdf", "pet.pdf")
    ]
    response = client.post(
        reverse("navigation:portal_upload", args=[case.reference]),
        {"category": "imaging", "files": files},
        follow=True,
    )
    html = response.content.decode()
    documents = html.index('id="documents"')
    confirmed = html.index("2 files received")
    assert confirmed > documents
    assert "Being checked for viruses" in html[documents:]


def test_staff_who_opened_the_records_are_named_by_name_and_role_never_by_username(client):
    case = make_case()
    named = User.objects.create_user(
        "jsmith42", first_name="Jane", last_name="Smith", is_staff=True
    )
    unnamed = User.objects.create_user("kwong7", is_staff=True)
    for user in (named, unnamed):
        user.groups.add(Group.objects.get(name=COORDINATORS))
        audit_record(
            actor=user,
            actor_label=user.get_username(),
            action=AuditEvent.Action.VIEW_CASE,
            patient=case.patient,
            target=case.reference,
        )
    sign_in(client, "ana@example.org")
    html = client.get(reverse("navigation:portal_case", args=[case.reference])).content.decode()
    assert "Jane Smith (Coordinator)" in html
    assert "— Coordinator: viewed case" in html
    assert "jsmith42" not in html and "kwong7" not in html


def test_a_failed_submit_titles_the_page_as_an_error_and_focuses_the_summary(client):
    response = client.post("/submit/", valid_answers(consent=None))
    assert response.status_code == 400
    html = response.content.decode()
    title = html[html.index("<title>") + len("<title>") :]
    assert title.startswith("Error: ")
    summary = html[html.index('id="form-errors"') :].split(">", 1)[0]
    assert "autofocus" in summary


def test_the_form_without_errors_has_a_plain_title(client):
    html = client.get("/submit/").content.decode()
    assert "<title>Submit your records" in html
    assert "autofocus" not in html


def test_the_upload_limits_are_stated_in_numbers(client, settings):
    settings.UPLOAD_MAX_FILES = 12
    html = client.get("/submit/").content.decode()
    assert "up to 12 files" in html
    assert "{count}" not in html and "{size}" not in html
