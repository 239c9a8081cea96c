"""Resumable uploads from the portal: a signed-in patient sends a file in pieces to their
own open case; it arrives like a form's upload. Nobody else, not even the same patient in
another browser session, can see or continue it."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from navigation.models import CaseEventKind, CaseStatus
from records.models import Document, ResumableUpload
from tests.navigation.test_intake import pdf_bytes
from tests.navigation.test_portal_signin import make_case, sign_in
from tests.records.test_resumable_uploads import TUS, head, metadata, patch

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_a():
    return make_case(email="ana@example.org")


def create(client, case, data: bytes, category: str = "pathology"):
    return client.post(
        reverse("navigation:portal_resumable_create", args=[case.reference]),
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(category, "report.pdf"),
        },
    )


def test_a_patient_sends_a_file_in_pieces_to_their_case(client, case_a):
    sign_in(client, "ana@example.org")
    data = pdf_bytes(30)
    created = create(client, case_a, data)
    assert created.status_code == 201
    url = created["Location"]
    assert patch(client, url, 0, data[:1000]).status_code == 204
    assert head(client, url)["Upload-Offset"] == "1000"
    assert patch(client, url, 1000, data[1000:]).status_code == 204

    document = Document.objects.get()
    assert document.patient == case_a.patient
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert client.get(url).json()["document"]["id"] == str(document.public_id)
    # Recorded on the case as a form's upload is.
    assert case_a.events.filter(kind=CaseEventKind.DOCUMENTS_RECEIVED).exists()
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference]))
    assert "1 file received" in page.content.decode()


def test_nobody_else_can_see_or_continue_a_patients_upload(client, case_a):
    sign_in(client, "ana@example.org")
    data = pdf_bytes(30)
    url = create(client, case_a, data)["Location"]
    patch(client, url, 0, data[:1000])

    anonymous = Client()
    other_patient = Client()
    make_case(email="ben@example.org")
    sign_in(other_patient, "ben@example.org")
    same_patient_elsewhere = Client()
    sign_in(same_patient_elsewhere, "ana@example.org")
    for stranger in (anonymous, other_patient, same_patient_elsewhere):
        assert head(stranger, url).status_code == 404
        assert patch(stranger, url, 1000, data[1000:]).status_code == 404
        assert stranger.delete(url, headers=TUS).status_code == 404
        assert stranger.get(url).status_code == 404
    assert create(anonymous, case_a, data).status_code == 404
    assert create(other_patient, case_a, data).status_code == 404
    assert ResumableUpload.objects.get().offset == 1000
    assert not Document.objects.exists()


def test_a_closed_case_takes_no_resumable_uploads(client, case_a):
    sign_in(client, "ana@example.org")
    data = pdf_bytes()
    url = create(client, case_a, data)["Location"]
    case_a.status = CaseStatus.WITHDRAWN
    case_a.save(update_fields=["status"])
    assert patch(client, url, 0, data).status_code == 400
    assert create(client, case_a, data).status_code == 400
    assert not Document.objects.exists()


def test_the_per_case_file_limit_applies(client, case_a, settings):
    settings.UPLOAD_MAX_FILES = 0
    sign_in(client, "ana@example.org")
    response = create(client, case_a, pdf_bytes())
    assert response.status_code == 400
    assert "at most" in response.json()["error"]
