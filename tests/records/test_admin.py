import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.audit import audit_record
from records.models import AuditEvent, Document, ScanStatus
from records.services import document_add_to_patient

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
        request=None,
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
