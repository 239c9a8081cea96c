"""Documents in the portal: the patient sends more files to their case, with the same checks
as the intake, and downloads their own clean files; nobody else can do either."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from navigation.models import CaseStatus
from records.models import AuditEvent, Document, ScanStatus
from tests.navigation.test_intake import pdf_bytes
from tests.navigation.test_portal_signin import make_case, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_a():
    return make_case(email="ana@example.org")


def upload_url(case) -> str:
    return reverse("navigation:portal_upload", args=[case.reference])


def pdf(name: str = "her2-report.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages), content_type="application/pdf")


def test_a_patient_sends_more_documents_to_their_case(client, case_a):
    sign_in(client, "ana@example.org")
    response = client.post(
        upload_url(case_a),
        {"category": "her2", "files": [pdf("her2.pdf"), pdf("ish.pdf", pages=2)]},
    )
    assert response.status_code == 302
    documents = Document.objects.filter(patient=case_a.patient).order_by("original_name")
    assert [(d.original_name, d.category) for d in documents] == [
        ("her2.pdf", "her2"),
        ("ish.pdf", "her2"),
    ]
    # Nothing is offered until the scanner has passed it.
    assert {d.status for d in documents} == {ScanStatus.PENDING}
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference])).content
    assert b"her2.pdf" in page and b"Being checked for viruses" in page
    assert b"Pending scan" not in page


def test_a_refused_file_is_explained_and_not_stored(client, case_a, settings):
    sign_in(client, "ana@example.org")
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00\x03 a program", "application/pdf")
    response = client.post(upload_url(case_a), {"category": "pathology", "files": [fake]})
    assert response.status_code == 400
    assert b"scan.pdf" in response.content
    assert not Document.objects.exists()
    assert not [p for p in settings.PRIVATE_STORAGE_ROOT.rglob("*") if p.is_file()]


def test_an_upload_needs_a_category_and_a_file(client, case_a):
    sign_in(client, "ana@example.org")
    assert client.post(upload_url(case_a), {"category": "pathology"}).status_code == 400
    assert client.post(upload_url(case_a), {"category": "x", "files": [pdf()]}).status_code == 400
    assert not Document.objects.exists()


def test_a_closed_case_takes_no_more_documents(client, case_a):
    case_a.status = CaseStatus.WITHDRAWN
    case_a.save(update_fields=["status"])
    sign_in(client, "ana@example.org")
    response = client.post(upload_url(case_a), {"category": "pathology", "files": [pdf()]})
    assert response.status_code == 400
    assert not Document.objects.exists()


def test_a_patient_downloads_their_clean_document_and_it_is_audited(client, case_a):
    sign_in(client, "ana@example.org")
    client.post(upload_url(case_a), {"category": "pathology", "files": [pdf("path.pdf")]})
    document = Document.objects.get()
    url = reverse("navigation:portal_document", args=[case_a.reference, document.public_id])
    assert client.get(url).status_code == 404  # still pending
    Document.objects.filter(pk=document.pk).update(status=ScanStatus.CLEAN)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    download = AuditEvent.objects.for_patient(case_a.patient).get(
        action=AuditEvent.Action.DOWNLOAD_DOCUMENT
    )
    assert download.actor is None


def test_another_patient_cannot_upload_to_or_download_from_the_case(client, case_a):
    make_case(email="ben@example.org")
    sign_in(client, "ana@example.org")
    client.post(upload_url(case_a), {"category": "pathology", "files": [pdf()]})
    document = Document.objects.get()
    Document.objects.filter(pk=document.pk).update(status=ScanStatus.CLEAN)
    client.post("/portal/signout/")
    sign_in(client, "ben@example.org")
    url = reverse("navigation:portal_document", args=[case_a.reference, document.public_id])
    assert client.get(url).status_code == 404
    response = client.post(upload_url(case_a), {"category": "pathology", "files": [pdf()]})
    assert response.status_code == 404
    assert Document.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD_DOCUMENT).exists()
