"""Resumable uploads (the tus 1.0 protocol) into the intake's draft: the protocol, what is
kept on disk meanwhile, and who may continue an upload."""

import base64
import hashlib
import io
import os
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from records.models import Document, ResumableUpload, UploadDraft
from records.services.resumable import (
    PARTIAL_PREFIX,
    resumable_upload_append,
    resumable_uploads_expire,
)
from records.storage import document_file_open
from records.tus import CONTENT_TYPE, TUS_VERSION

from .conftest import stored_files
from .files import PE, dicom_bytes, pdf_bytes

TUS = {"Tus-Resumable": TUS_VERSION}
MIB = 1024 * 1024


def metadata(category: str, name: str) -> str:
    encode = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    return f"category {encode(category)},filename {encode(name)}"


def create(client, data: bytes, *, category: str = "imaging", name: str = "scan.dcm", **extra):
    return client.post(
        reverse("records:resumable_create"),
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(category, name),
        },
        **extra,
    )


def patch(client, url: str, offset: int, piece: bytes, **headers):
    return client.generic(
        "PATCH",
        url,
        data=piece,
        content_type=CONTENT_TYPE,
        headers={**TUS, "Upload-Offset": str(offset), **headers},
    )


def head(client, url: str):
    return client.head(url, headers=TUS)


def large_dicom(size: int = 2 * MIB + 12_345) -> bytes:
    """A valid DICOM image over two encryption chunks, so pieces cross chunk boundaries."""
    pixels = os.urandom(size - size % 1024)
    return dicom_bytes(pixels=pixels)


def partial_files(upload_temp_dir) -> list:
    return sorted(upload_temp_dir.glob(f"{PARTIAL_PREFIX}*"))


def test_options_tell_the_version_the_largest_file_and_the_extensions(client, db, settings):
    response = client.options(reverse("records:resumable_create"))
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Max-Size"] == str(settings.UPLOAD_MAX_FILE_BYTES)
    assert set(response["Tus-Extension"].split(",")) == {"creation", "expiration", "termination"}


def test_a_file_sent_in_pieces_becomes_a_document_of_this_browsers_draft(client, db):
    data = large_dicom()
    created = create(client, data)
    assert created.status_code == 201
    url = created["Location"]
    assert created["Upload-Expires"]
    offset = 0
    # Pieces that do not fall on the encryption's chunk boundaries.
    for size in (700_000, 1_000_000, 123):
        response = patch(client, url, offset, data[offset : offset + size])
        assert response.status_code == 204
        offset += size
        assert response["Upload-Offset"] == str(offset)
        assert head(client, url)["Upload-Offset"] == str(offset)
    response = patch(client, url, offset, data[offset:])
    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(data))

    document = Document.objects.get()
    assert document.draft == UploadDraft.objects.get(session_key=client.session.session_key)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.category == "imaging"
    with document_file_open(document) as stored:
        assert stored.read() == data
    result = client.get(url).json()
    assert result["complete"] is True
    assert result["document"]["id"] == str(document.public_id)


def test_the_hash_is_right_when_pieces_reach_different_processes(client, db, monkeypatch):
    """A web process keeps the running hash; another process computes it at the end."""
    from records.services import resumable as resumable_services

    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[:1_500_000])
    monkeypatch.setattr(resumable_services, "_hashes", type(resumable_services._hashes)())
    assert patch(client, url, 1_500_000, data[1_500_000:]).status_code == 204
    assert Document.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_cut_off_piece_keeps_what_arrived_and_the_upload_resumes_from_there(
    client, db, upload_temp_dir
):
    data = large_dicom()
    url = create(client, data)["Location"]
    upload = ResumableUpload.objects.get()
    # The connection drops after 1.3 MB of a piece announced as the whole file.
    arrived = io.BytesIO(data[:1_300_000])
    upload = resumable_upload_append(upload=upload, offset=0, body=arrived, count=len(data))
    assert upload.offset == 1_300_000
    assert head(client, url)["Upload-Offset"] == "1300000"

    assert patch(client, url, 1_300_000, data[1_300_000:]).status_code == 204
    document = Document.objects.get()
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    with document_file_open(document) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == document.sha256
    assert partial_files(upload_temp_dir) == []


def test_the_half_sent_file_is_encrypted_on_disk(client, db, upload_temp_dir):
    marker = b"PLAINTEXT-MARKER-" * 64
    data = large_dicom()
    data = data[:200_000] + marker + data[200_000 + len(marker) :]
    url = create(client, data)["Location"]
    # One whole chunk and a remainder: both must be sealed.
    patch(client, url, 0, data[: MIB + 300_000])
    files = partial_files(upload_temp_dir)
    assert len(files) == 2  # the partial file and its remainder
    for path in files:
        content = path.read_bytes()
        assert marker[:64] not in content
        assert data[MIB : MIB + 64] not in content


def test_with_encryption_off_the_upload_is_stored_in_plain(client, db, settings, private_dir):
    settings.DOCUMENT_ENCRYPTION = False
    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[:1_000_000])
    assert patch(client, url, 1_000_000, data[1_000_000:]).status_code == 204
    document = Document.objects.get()
    assert not document.wrapped_key
    assert (private_dir / document.storage_name).read_bytes() == data
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_a_piece_at_the_wrong_offset_is_refused_with_the_offset_held(client, db):
    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[:1000])
    response = patch(client, url, 0, data[:1000])
    assert response.status_code == 409
    assert response["Upload-Offset"] == "1000"
    assert ResumableUpload.objects.get().offset == 1000


def test_requests_without_the_protocol_version_are_refused(client, db):
    data = large_dicom()
    response = client.post(
        reverse("records:resumable_create"), headers={"Upload-Length": str(len(data))}
    )
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    url = create(client, data)["Location"]
    assert client.head(url).status_code == 412


def test_a_piece_must_be_sent_as_offset_octet_stream(client, db):
    data = large_dicom()
    url = create(client, data)["Location"]
    response = client.generic(
        "PATCH",
        url,
        data=data[:100],
        content_type="application/octet-stream",
        headers={**TUS, "Upload-Offset": "0"},
    )
    assert response.status_code == 415
    assert ResumableUpload.objects.get().offset == 0


def test_a_piece_larger_than_the_patch_limit_is_refused(client, db, settings):
    settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES = 1000
    data = large_dicom()
    url = create(client, data)["Location"]
    assert patch(client, url, 0, data[:1001]).status_code == 413
    assert patch(client, url, 0, data[:1000]).status_code == 204


def test_creating_and_sending_need_the_csrf_token(db):
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("navigation:submit"))
    token = browser.cookies["csrftoken"].value
    data = large_dicom()
    assert create(browser, data).status_code == 403
    response = browser.post(
        reverse("records:resumable_create"),
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata("imaging", "scan.dcm"),
            "X-CSRFToken": token,
        },
    )
    assert response.status_code == 201
    url = response["Location"]
    assert patch(browser, url, 0, data[:1000]).status_code == 403
    assert browser.delete(url, headers=TUS).status_code == 403
    assert patch(browser, url, 0, data[:1000], **{"X-CSRFToken": token}).status_code == 204


def test_another_browser_cannot_see_continue_or_end_an_upload(client, db, upload_temp_dir):
    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[:5000])
    stranger = Client()
    create(stranger, large_dicom())  # a draft of its own
    assert head(stranger, url).status_code == 404
    assert patch(stranger, url, 5000, data[5000:6000]).status_code == 404
    assert stranger.delete(url, headers=TUS).status_code == 404
    assert stranger.get(url).status_code == 404
    assert "Upload-Offset" not in head(stranger, url)
    assert (
        ResumableUpload.objects.get(draft__session_key=client.session.session_key).offset == 5000
    )
    assert head(Client(), url).status_code == 404  # a browser with no draft at all


def test_a_file_over_the_size_limit_is_refused_before_a_byte_is_sent(client, db, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 1000
    response = create(client, large_dicom())
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    assert not ResumableUpload.objects.exists()


def test_a_file_the_check_refuses_is_explained_and_nothing_is_kept(
    client, db, upload_temp_dir, private_dir
):
    url = create(client, PE, category="pathology", name="report.pdf")["Location"]
    response = patch(client, url, 0, PE)
    assert response.status_code == 400
    assert "program" in response.json()["error"]
    assert client.get(url).json()["error"] == response.json()["error"]
    assert not Document.objects.exists()
    assert partial_files(upload_temp_dir) == []
    assert stored_files(private_dir) == []


def test_the_same_file_twice_is_kept_once(client, db):
    data = pdf_bytes()
    for _ in range(2):
        url = create(client, data, category="pathology", name="report.pdf")["Location"]
        assert patch(client, url, 0, data).status_code == 204
    assert Document.objects.count() == 1
    assert client.get(url).json()["duplicate"] is True


def test_termination_removes_the_half_sent_bytes(client, db, upload_temp_dir):
    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[: MIB + 10])
    assert partial_files(upload_temp_dir)
    assert client.delete(url, headers=TUS).status_code == 204
    assert partial_files(upload_temp_dir) == []
    assert not ResumableUpload.objects.exists()
    assert head(client, url).status_code == 404


def test_uploads_not_continued_in_time_expire_with_their_bytes(client, db, upload_temp_dir):
    data = large_dicom()
    stale = create(client, data)["Location"]
    patch(client, stale, 0, data[:1000])
    fresh = create(client, data)["Location"]
    stale_row = ResumableUpload.objects.get(public_id=stale.rstrip("/").rsplit("/", 1)[1])
    ResumableUpload.objects.filter(pk=stale_row.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert head(client, stale).status_code == 404

    from records.tasks import clean_upload_temp

    clean_upload_temp()
    assert list(ResumableUpload.objects.values_list("public_id", flat=True)) == [
        ResumableUpload.objects.get().public_id
    ]
    assert [p.name for p in partial_files(upload_temp_dir)] == [
        PARTIAL_PREFIX + ResumableUpload.objects.get().public_id.hex
    ]
    assert head(client, fresh).status_code == 200
    assert resumable_uploads_expire() == 0


def test_the_hourly_byte_budget_stops_a_piece_and_then_new_uploads(
    client, db, settings, upload_temp_dir
):
    settings.UPLOAD_CLIENT_BYTES_PER_HOUR = MIB
    data = large_dicom()
    url = create(client, data)["Location"]
    response = patch(client, url, 0, data[: 2 * MIB])
    assert response.status_code == 400
    assert "in the last hour" in response.json()["error"]
    assert head(client, url).status_code == 404
    assert partial_files(upload_temp_dir) == []
    refused = create(client, data)
    assert refused.status_code == 400
    assert "in the last hour" in refused.json()["error"]


@pytest.mark.parametrize("header", ["", "category", "category !!!,filename x"])
def test_a_malformed_description_is_refused(client, db, header):
    response = client.post(
        reverse("records:resumable_create"),
        headers={**TUS, "Upload-Length": "100", "Upload-Metadata": header},
    )
    assert response.status_code == 400
    assert not ResumableUpload.objects.exists()


def test_a_piece_for_an_upload_another_request_is_writing_is_told_to_wait(client, db):
    from records.services.resumable import _partial

    data = large_dicom()
    url = create(client, data)["Location"]
    with _partial(ResumableUpload.objects.get()).locked():
        response = patch(client, url, 0, data[:1000])
    assert response.status_code == 423
    assert patch(client, url, 0, data[:1000]).status_code == 204


def test_an_upload_whose_bytes_are_gone_must_start_again(client, db, upload_temp_dir):
    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[:1000])
    for path in partial_files(upload_temp_dir):
        path.unlink()
    assert patch(client, url, 1000, data[1000:2000]).status_code == 410
    assert not ResumableUpload.objects.exists()
    assert head(client, url).status_code == 404


def test_half_sent_files_wait_in_the_directory_every_web_node_shares(
    client, db, settings, tmp_path, upload_temp_dir
):
    shared = tmp_path / "shared"
    shared.mkdir()
    settings.UPLOAD_RESUMABLE_DIR = str(shared)
    data = large_dicom()
    url = create(client, data)["Location"]
    patch(client, url, 0, data[:1000])
    assert partial_files(shared)
    assert partial_files(upload_temp_dir) == []
    assert patch(client, url, 1000, data[1000:]).status_code == 204
    assert partial_files(shared) == []
    assert Document.objects.get().sha256 == hashlib.sha256(data).hexdigest()
