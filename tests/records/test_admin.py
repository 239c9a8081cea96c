import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from records.models import AuditEvent, Document, ScanStatus
from records.services.audit import audit_record
from records.services.documents import document_add_to_patient
from tests.conftest import staff_client

from .files import pdf_bytes


@pytest.fixture
def document(patient) -> Document:
    document = document_add_to_patient(
        patient=patient, category="pathology", upload=SimpleUploadedFile("p.pdf", pdf_bytes())
    )
    Document.objects.filter(pk=document.pk).update(status=ScanStatus.CLEAN)
    return document


@pytest.fixture
def event(patient, coordinator) -> AuditEvent:
    return audit_record(
        actor=coordinator,
        actor_label="coordinator",
        action="view_case",
        patient=patient,
        target="case:1",
    )


def records_admin_urls(patient, document, event) -> list[str]:
    return [
        reverse("admin:records_patient_changelist"),
        reverse("admin:records_patient_change", args=[patient.pk]),
        reverse("admin:records_patient_add"),
        reverse("admin:records_patient_delete", args=[patient.pk]),
        reverse("admin:records_patient_history", args=[patient.pk]),
        reverse("admin:records_document_changelist"),
        reverse("admin:records_document_change", args=[document.pk]),
        reverse("admin:records_document_download", args=[document.public_id]),
        reverse("admin:records_auditevent_changelist"),
        reverse("admin:records_auditevent_change", args=[event.pk]),
    ]


def test_a_content_editor_gets_403_on_every_records_admin_page(
    editor_client, patient, document, event
):
    for url in records_admin_urls(patient, document, event):
        response = editor_client.get(url)
        assert response.status_code == 403, url
        assert patient.full_name.encode() not in response.content
    # Django answers an app index the user has no model of with 404: nothing shown either.
    assert editor_client.get(reverse("admin:app_list", args=["records"])).status_code == 404


def test_a_coordinator_sees_the_patient_with_profile_consent_and_documents(
    coordinator_client, coordinator, patient, document
):
    response = coordinator_client.get(reverse("admin:records_patient_change", args=[patient.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-11" in html  # the consent version
    assert document.sha256 in html
    assert reverse("admin:records_document_download", args=[document.public_id]) in html
    assert "positive" in html  # HER2 derived from IHC 3+
    viewed = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_RECORDS)
    assert viewed.actor == coordinator and viewed.patient_ref == patient.public_id


def test_pending_documents_get_no_download_link(coordinator_client, patient, document):
    Document.objects.filter(pk=document.pk).update(status=ScanStatus.PENDING)
    response = coordinator_client.get(reverse("admin:records_document_changelist"))
    assert response.status_code == 200
    assert reverse("admin:records_document_download", args=[document.public_id]) not in (
        response.content.decode()
    )


def test_the_audit_trail_is_read_only_in_the_admin(coordinator_client, event):
    change = reverse("admin:records_auditevent_change", args=[event.pk])
    assert coordinator_client.get(reverse("admin:records_auditevent_add")).status_code == 403
    assert coordinator_client.get(change).status_code == 200
    assert coordinator_client.post(change, {"target": "x"}).status_code == 403
    delete = reverse("admin:records_auditevent_delete", args=[event.pk])
    assert coordinator_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).target == "case:1"


@pytest.mark.parametrize("page", ["document_change", "patient_history"])
def test_each_staff_look_at_a_record_writes_one_audit_row(
    coordinator_client, coordinator, patient, document, page
):
    url = {
        "document_change": reverse("admin:records_document_change", args=[document.pk]),
        "patient_history": reverse("admin:records_patient_history", args=[patient.pk]),
    }[page]
    assert coordinator_client.get(url).status_code == 200
    [row] = AuditEvent.objects.all()
    assert row.actor == coordinator
    assert row.patient_ref == patient.public_id
    assert row.action == AuditEvent.Action.VIEW_RECORDS


def test_a_refused_or_missing_page_writes_no_audit_row(editor, coordinator, patient):
    # Two browsers: the client fixtures share one test client.
    editor_browser, coordinator_browser = (
        staff_client(Client(), editor),
        staff_client(Client(), coordinator),
    )
    history = reverse("admin:records_patient_history", args=[patient.pk])
    assert editor_browser.get(history).status_code == 403
    missing = reverse("admin:records_document_change", args=[999999])
    assert coordinator_browser.get(missing).status_code == 302  # the admin's "not found" redirect
    assert not AuditEvent.objects.exists()
