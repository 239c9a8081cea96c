import datetime

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from records.consent import CONSENT_VERSION, consent_text_sha256
from records.draft_session import draft_add_files
from records.filenames import display_name
from records.models import Consent, Document, Patient, UploadDraft
from records.services.documents import document_add_to_patient
from records.services.patients import patient_submit
from records.uploads import DRAFT_SESSION_KEY, StreamingUploadHandler
from records.validation import FileRefused

from .conftest import CONTACT, post_upload, stored_files
from .files import PE, dicom_bytes, image_bytes, pdf_bytes


def test_an_upload_lands_in_this_browsers_draft(client, db):
    response = post_upload(client, "report.pdf", pdf_bytes(), "pathology")
    assert response.status_code == 201
    draft = UploadDraft.objects.get()
    assert client.session[DRAFT_SESSION_KEY] == str(draft.key)
    assert draft.session_key == client.session.session_key
    post_upload(client, "her2.png", image_bytes("PNG"), "her2")
    assert Document.objects.filter(draft=draft).count() == 2


def test_it_refuses_an_upload_without_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    response = post_upload(client, "report.pdf", pdf_bytes(), "pathology")
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_it_asks_for_a_file_and_a_category(client, db):
    response = client.post(reverse("records:upload_create"), {"category": "pathology"})
    assert response.status_code == 400
    assert "choose a file" in response.json()["error"]
    response = post_upload(client, "report.pdf", pdf_bytes(), "horoscope")
    assert response.status_code == 400
    assert "what kind of document" in response.json()["error"]


def test_it_stops_a_file_over_the_size_limit_while_it_streams(client, db, settings, private_dir):
    settings.UPLOAD_MAX_FILE_BYTES = 50_000
    data = pdf_bytes() + b"%" + b"x" * 60_000 + b"\n%%EOF\n"
    response = post_upload(client, "big.pdf", data, "pathology")
    assert response.status_code == 400
    assert "larger than" in response.json()["error"]
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []


def test_the_handler_never_writes_past_the_limit(settings, tmp_path, db):
    settings.UPLOAD_MAX_FILE_BYTES = 100_000
    handler = StreamingUploadHandler(request=None)
    handler.new_file("file", "big.bin", "application/octet-stream", None)
    for start in range(0, 1_000_000, 65536):
        handler.receive_data_chunk(b"a" * 65536, start)
        assert handler.file.tell() <= 100_000
    upload = handler.file_complete(1_000_000)
    assert "larger than" in upload.refused
    assert upload.size == 0
    upload.close()


def test_the_handler_hashes_while_it_streams(db):
    import hashlib

    handler = StreamingUploadHandler(request=None)
    handler.new_file("file", "a.pdf", "application/pdf", None)
    data = pdf_bytes()
    for start in range(0, len(data), 100):
        handler.receive_data_chunk(data[start : start + 100], start)
    upload = handler.file_complete(len(data))
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.size == len(data)
    upload.close()


def test_it_enforces_the_submission_total(client, db, settings):
    first, second = pdf_bytes(), image_bytes("PNG", (300, 300))
    settings.UPLOAD_MAX_SUBMISSION_BYTES = len(first) + len(second) - 1
    assert post_upload(client, "a.pdf", first, "pathology").status_code == 201
    response = post_upload(client, "b.png", second, "her2")
    assert response.status_code == 400
    assert "Together" in response.json()["error"]
    assert Document.objects.count() == 1


def test_it_enforces_the_file_count(client, db, settings):
    settings.UPLOAD_MAX_FILES = 2
    for n in range(2):
        assert post_upload(client, f"{n}.pdf", pdf_bytes(), "pathology").status_code == 201
    response = post_upload(client, "3.pdf", pdf_bytes(), "pathology")
    assert response.status_code == 400
    assert "at most 2 files" in response.json()["error"]


def test_a_file_can_be_removed_from_the_draft(
    client, db, private_dir, django_capture_on_commit_callbacks
):
    body = post_upload(client, "report.pdf", pdf_bytes(), "pathology").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(body["delete_url"], headers={"accept": "application/json"})
    assert response.status_code == 200
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []


def test_another_browser_cannot_remove_or_see_my_files(client, db):
    body = post_upload(client, "report.pdf", pdf_bytes(), "pathology").json()
    outsider = Client()
    outsider.get("/")
    response = outsider.post(body["delete_url"], headers={"accept": "application/json"})
    assert response.status_code == 404
    assert Document.objects.filter(public_id=body["id"]).exists()


def test_the_plain_form_without_javascript_stores_its_files(db):
    request = RequestFactory().post(
        "/submit/",
        {
            "files_pathology": [
                SimpleUploadedFile("a.pdf", pdf_bytes()),
                SimpleUploadedFile("b.jpg", image_bytes("JPEG")),
            ],
            "files_imaging": [SimpleUploadedFile("IM1", dicom_bytes())],
            "files_her2": [SimpleUploadedFile("setup.pdf", PE)],
        },
    )
    SessionMiddleware(lambda r: None).process_request(request)
    stored, refused = draft_add_files(request=request)
    assert sorted(d.original_name for d in stored) == ["IM1.dcm", "a.pdf", "b.jpg"]
    assert refused[0][0] == "setup.pdf" and "program" in refused[0][1]
    draft = UploadDraft.objects.get()
    assert request.session[DRAFT_SESSION_KEY] == str(draft.key)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\ana\\Desktop\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("scan<script>.png", "scan_script_.png"),
        ("  ", "document"),
        ("a\x00b\x1f.pdf", "a_b_.pdf"),
    ],
)
def test_original_names_are_kept_only_as_harmless_text(raw, clean):
    assert display_name(raw) == clean


def test_submitting_moves_the_drafts_files_to_the_new_patient(client, db):
    post_upload(client, "report.pdf", pdf_bytes(), "pathology")
    post_upload(client, "IM1", dicom_bytes(), "imaging")
    draft = UploadDraft.objects.get()

    patient = patient_submit(
        contact={**CONTACT, "date_of_birth": datetime.date(1961, 4, 2), "phone": "+442079460958"},
        profile={
            "stage": "III",
            "her2_ihc": "2+",
            "her2_ish": "",
            "ecog": None,
            "metastatic": False,
        },
        consent_version=CONSENT_VERSION,
        draft=draft,
    )

    assert patient.documents.count() == 2
    assert not UploadDraft.objects.exists()
    assert patient.profile.her2_status == "equivocal"
    assert patient.profile.metastatic is False
    consent = Consent.objects.get(patient=patient)
    assert consent.text_sha256 == consent_text_sha256(CONSENT_VERSION)
    assert consent.given_at is not None


def test_a_submission_is_all_or_nothing(client, db):
    post_upload(client, "report.pdf", pdf_bytes(), "pathology")
    draft = UploadDraft.objects.get()
    with pytest.raises(ValueError):
        patient_submit(
            contact={**CONTACT, "date_of_birth": datetime.date(1961, 4, 2)},
            profile={},
            consent_version="1999-01",
            draft=draft,
        )
    assert not Patient.objects.exists()
    assert Document.objects.get().draft == draft


def test_the_portal_adds_a_document_to_an_existing_patient(patient, private_dir):
    document = document_add_to_patient(
        patient=patient, category="her2", upload=SimpleUploadedFile("her2.pdf", pdf_bytes())
    )
    assert document.patient == patient and document.draft is None
    assert document.status == "pending"
    with pytest.raises(FileRefused):
        document_add_to_patient(
            patient=patient, category="her2", upload=SimpleUploadedFile("x.pdf", PE)
        )
    assert len(stored_files(private_dir)) == 1


def test_files_chosen_together_land_in_one_draft(client, db):
    # The first requests of a session race to create the draft; they must agree on one.
    client.get("/")
    session = client.session
    session.save()
    from django.test import RequestFactory as Factory

    requests = []
    for _ in range(2):
        request = Factory().post("/submit/uploads/")
        request.session = client.session.__class__(session.session_key)
        requests.append(request)
    from records.draft_session import draft_for_request

    drafts = {draft_for_request(r, create=True).pk for r in requests}
    assert len(drafts) == 1


def test_drafts_nobody_submitted_expire_with_their_files(
    client, db, private_dir, django_capture_on_commit_callbacks
):
    import time_machine

    from records.services.drafts import drafts_expire

    with time_machine.travel("2026-01-01"):
        post_upload(client, "a.pdf", pdf_bytes(), "pathology")
    other = Client()
    post_upload(other, "b.pdf", pdf_bytes(), "pathology")
    with (
        time_machine.travel("2026-02-01"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert drafts_expire() == 1
    assert UploadDraft.objects.count() == 1
    assert [d.original_name for d in Document.objects.all()] == ["b.pdf"]
    assert len(stored_files(private_dir)) == 1


def test_a_client_sending_too_many_files_is_asked_to_wait(client, db, settings):
    settings.UPLOAD_RATE_LIMIT = 2
    for n in range(2):
        assert post_upload(client, f"{n}.pdf", pdf_bytes(), "pathology").status_code == 201
    response = post_upload(client, "3.pdf", pdf_bytes(), "pathology")
    assert response.status_code == 429
    assert "wait a minute" in response.json()["error"]
    assert Document.objects.count() == 2
