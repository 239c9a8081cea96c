import io
import os
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from records.clamd import ScannerUnavailable, clamd_scan, scanner_state
from records.models import Document, ScanStatus
from records.responses import document_download_response
from records.services.documents import DocumentUnavailable, document_add_to_patient
from records.services.scanning import document_scan, documents_rescan_pending
from tests.conftest import wait_for

from .conftest import stored_files
from .files import EICAR, image_bytes, pdf_bytes
from .test_resumable_uploads import create as resumable_create
from .test_resumable_uploads import patch as resumable_patch


def png_carrying(text: bytes) -> bytes:
    """A valid PNG with `text` in a tEXt chunk: a good image that a scanner must still flag."""
    png = image_bytes("PNG")
    body = b"Comment\x00" + text
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return png[:33] + chunk + png[33:]


@pytest.fixture
def clamd(settings, clamd_address) -> str:
    settings.CLAMD_ADDRESS = clamd_address
    return clamd_address


@pytest.fixture
def clamd_on_a_unix_socket(clamd_address, tmp_path) -> Iterator[str]:
    """The real clamd reached through a Unix socket: a relay that passes every connection
    on to clamd's TCP address byte for byte (CI's clamd listens on TCP only)."""
    target = urlparse(clamd_address)
    if target.scheme != "tcp":
        return clamd_address
    path = str(tmp_path / "clamd.ctl")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with source, sink:
            while data := source.recv(65536):
                sink.sendall(data)

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((target.hostname, target.port))
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream.dup(), client.dup()), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"unix://{path}"
    listener.close()


@pytest.fixture
def coordinators_mail(settings, coordinator):
    settings.COORDINATOR_EMAILS = ["desk@example.org"]


def add(patient, data: bytes, name: str = "scan.png", category: str = "her2") -> Document:
    return document_add_to_patient(
        patient=patient, category=category, upload=SimpleUploadedFile(name, data)
    )


def test_clamd_says_ok_to_a_clean_stream(clamd):
    assert clamd_scan(io.BytesIO(pdf_bytes())).infected is False


def test_clamd_flags_the_test_signature(clamd):
    result = clamd_scan(io.BytesIO(b"hello " + EICAR))
    assert result.infected and "EICAR" in result.signature


def test_clamd_is_reached_on_a_unix_socket(clamd_on_a_unix_socket):
    assert clamd_scan(io.BytesIO(pdf_bytes()), address=clamd_on_a_unix_socket).infected is False
    result = clamd_scan(io.BytesIO(EICAR), address=clamd_on_a_unix_socket)
    assert result.infected and "EICAR" in result.signature


def test_the_readiness_check_sees_a_live_scanner(clamd):
    assert scanner_state() == "ok"


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "unix:///nonexistent/clamd.ctl"])
def test_the_readiness_check_sees_an_unreachable_scanner(settings, address):
    settings.CLAMD_ADDRESS = address
    assert scanner_state() == "unavailable"


def test_a_clean_upload_becomes_clean_after_its_scan(
    clamd, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = add(patient, png_carrying(b"an ordinary comment"))
    document.refresh_from_db()
    assert document.status == ScanStatus.CLEAN
    assert document.scanned_at is not None


def test_the_eicar_file_is_quarantined_and_never_downloadable(
    clamd, patient, private_dir, coordinators_mail, rf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = add(patient, png_carrying(EICAR))
        # The upload is an acceptable PNG: only the scanner can tell.
        assert document.status == ScanStatus.PENDING
    document.refresh_from_db()

    assert document.status == ScanStatus.INFECTED
    assert "EICAR" in document.scan_detail
    assert stored_files(private_dir) == []
    with pytest.raises(DocumentUnavailable):
        document_download_response(document=document, request=rf.get("/"), actor_label="x")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"desk@example.org", "coordinator@example.org"}
    assert str(document.public_id) in message.body
    for personal in (patient.full_name, patient.email, "scan.png", "Example"):
        assert personal not in message.body + message.subject


def test_scanning_twice_changes_nothing(
    clamd, patient, coordinators_mail, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = add(patient, png_carrying(EICAR))
    with django_capture_on_commit_callbacks(execute=True):
        assert document_scan(document_id=document.pk) == ScanStatus.INFECTED
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1:9", "unix:///nonexistent/clamd.ctl", "http://clamd"]
)
def test_an_unreachable_scanner_leaves_the_file_pending(
    settings, patient, address, django_capture_on_commit_callbacks
):
    settings.CLAMD_ADDRESS = address
    with django_capture_on_commit_callbacks(execute=True):
        document = add(patient, png_carrying(EICAR))
    document.refresh_from_db()
    assert document.status == ScanStatus.PENDING
    assert document.scan_detail.startswith("Not scanned yet")
    with pytest.raises(ScannerUnavailable):
        clamd_scan(io.BytesIO(b"x"))


def test_pending_files_are_scanned_again_when_clamd_is_back(
    settings, clamd_address, patient, django_capture_on_commit_callbacks
):
    settings.CLAMD_ADDRESS = "tcp://127.0.0.1:9"
    with django_capture_on_commit_callbacks(execute=True):
        clean = add(patient, pdf_bytes(), "a.pdf", "pathology")
        infected = add(patient, png_carrying(EICAR))
    settings.CLAMD_ADDRESS = clamd_address

    with django_capture_on_commit_callbacks(execute=True):
        assert documents_rescan_pending(older_than=timedelta(0)) == 2

    clean.refresh_from_db()
    infected.refresh_from_db()
    assert (clean.status, infected.status) == (ScanStatus.CLEAN, ScanStatus.INFECTED)


def test_a_live_worker_scans_after_commit(settings, clamd_address, live_worker, transactional_db):
    from records.models import Patient
    from records.services.patients import patient_submit

    settings.CLAMD_ADDRESS = clamd_address
    # The worker reads and deletes the bytes: both sides must use the worker's storage,
    # the one the environment names, not this test's private directory.
    shared = os.environ.get("PRIVATE_STORAGE_ROOT") or str(settings.BASE_DIR / "var" / "private")
    storages = dict(settings.STORAGES)
    for alias in ("default", "private"):
        storages[alias] = {
            **storages[alias],
            "OPTIONS": {**storages[alias]["OPTIONS"], "location": shared},
        }
    settings.STORAGES = storages
    patient = patient_submit(
        contact={
            "full_name": "Live Worker",
            "date_of_birth": "1960-01-01",
            "relationship": "self",
            "email": "live@example.org",
            "phone": "+442079460958",
            "country": "UK",
        },
        profile={},
        consent_version="2026-11",
        draft=None,
    )
    assert Patient.objects.filter(pk=patient.pk).exists()
    document = add(patient, png_carrying(EICAR))
    assert wait_for(
        lambda: Document.objects.get(pk=document.pk).status == ScanStatus.INFECTED, timeout=30
    )


# --- development without a scanner -------------------------------------------------------


@pytest.fixture
def no_scanner_in_development(settings):
    settings.CLAMD_ADDRESS = ""
    settings.PRODUCTION = False


def test_without_a_scanner_in_development_a_file_is_marked_not_scanned(
    no_scanner_in_development, patient
):
    document = add(patient, pdf_bytes(), name="report.pdf")
    document_scan(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == ScanStatus.UNSCANNED
    assert document.get_status_display() == "Not scanned (no scanner in development)"
    assert document.is_downloadable


def test_a_file_not_scanned_in_development_can_be_downloaded(
    no_scanner_in_development, patient, rf
):
    data = pdf_bytes()
    document = add(patient, data, name="report.pdf")
    document_scan(document_id=document.pk)
    document.refresh_from_db()
    response = document_download_response(
        document=document, request=rf.get("/"), actor_label="coordinator"
    )
    assert b"".join(response.streaming_content) == data


def test_in_production_a_missing_scanner_leaves_the_file_pending(settings, patient):
    settings.CLAMD_ADDRESS = ""
    settings.PRODUCTION = True
    document = add(patient, pdf_bytes(), name="report.pdf")
    assert document_scan(document_id=document.pk) == ScanStatus.PENDING
    document.refresh_from_db()
    assert not document.is_downloadable


def test_a_resumable_upload_is_scanned_like_any_other(
    clamd, client, coordinators_mail, django_capture_on_commit_callbacks
):
    data = png_carrying(EICAR)
    url = resumable_create(client, data, category="her2", name="scan.png")["Location"]
    assert resumable_patch(client, url, 0, data[:100]).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        assert resumable_patch(client, url, 100, data[100:]).status_code == 204
    document = Document.objects.get()
    assert document.status == ScanStatus.INFECTED
    assert "EICAR" in document.scan_detail
