import hashlib

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import AuditEvent, Document, ScanStatus
from records.services.documents import document_add_to_patient

from .files import pdf_bytes


@pytest.fixture
def document(patient, settings) -> Document:
    settings.COORDINATOR_EMAILS = ["desk@example.org"]
    document = document_add_to_patient(
        patient=patient,
        category="pathology",
        upload=SimpleUploadedFile("Pathology report.pdf", pdf_bytes()),
    )
    Document.objects.filter(pk=document.pk).update(status=ScanStatus.CLEAN)
    document.refresh_from_db()
    return document


def url(document: Document) -> str:
    return reverse("admin:records_document_download", args=[document.public_id])


def test_a_coordinator_downloads_a_clean_document_as_an_audited_attachment(
    coordinator_client, coordinator, document
):
    response = coordinator_client.get(url(document))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Pathology report.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get()
    assert event.actor == coordinator
    assert event.action == AuditEvent.Action.DOWNLOAD_DOCUMENT
    assert event.patient_ref == document.patient.public_id
    assert event.target == f"document:{document.public_id}"
    assert event.ip_address == "127.0.0.1"


def test_a_content_editor_gets_403_and_nothing_is_logged_as_seen(editor_client, document):
    assert editor_client.get(url(document)).status_code == 403
    assert not AuditEvent.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, document):
    response = client.get(url(document))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_staff_member_without_the_records_permission_gets_403(
    client, document, django_user_model
):
    from tests.conftest import staff_client

    clerk = django_user_model.objects.create_user("clerk", "c@example.org", "x", is_staff=True)
    assert staff_client(client, clerk).get(url(document)).status_code == 403


@pytest.mark.parametrize("status", [ScanStatus.PENDING, ScanStatus.INFECTED])
def test_a_document_that_is_not_clean_is_never_offered(coordinator_client, document, status):
    Document.objects.filter(pk=document.pk).update(status=status)
    response = coordinator_client.get(url(document))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD_DOCUMENT).exists()


def test_a_document_whose_bytes_changed_is_refused_and_coordinators_alerted(
    coordinator_client, document, private_dir
):
    stored = private_dir / document.storage_name
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))

    response = coordinator_client.get(url(document))

    assert response.status_code == 409
    assert "changed" in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.get().action == AuditEvent.Action.DOWNLOAD_REFUSED
    assert len(mail.outbox) == 1
    assert "changed" in mail.outbox[0].subject.lower()


def test_a_draft_document_is_not_downloadable(coordinator_client, client, db):
    from .conftest import post_upload

    body = post_upload(client, "a.pdf", pdf_bytes(), "pathology").json()
    Document.objects.filter(public_id=body["id"]).update(status=ScanStatus.CLEAN)
    response = coordinator_client.get(
        reverse("admin:records_document_download", args=[body["id"]])
    )
    assert response.status_code == 404
