"""Documents are encrypted at rest: a data key per file, wrapped by a key from the
environment; chunked AES-256-GCM that notices any chunk changed, moved, dropped or added;
downloads, the integrity check and key rotation work on the stored form."""

import base64
import hashlib
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from records import encryption
from records.encryption import HEADER_SIZE, TAG, DecryptingReader, StoredFileCorrupt
from records.models import Document, ScanStatus
from records.services.documents import document_add_to_patient
from records.services.integrity import stored_files_verify
from records.storage import document_file_open
from tests.foundation.test_settings import PROD_ENV, _manage

from .conftest import stored_files
from .files import pdf_bytes

SMALL_CHUNK = 1024


def key(seed: str) -> str:
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


@pytest.fixture
def small_chunks(monkeypatch):
    # Small chunks so that an ordinary test file spans many of them.
    monkeypatch.setattr(encryption, "CHUNK", SMALL_CHUNK)


def noisy_png(seed: int = 1) -> bytes:
    """An image that does not compress: ~10 KB, many small chunks."""
    import random

    from PIL import Image

    out = io.BytesIO()
    pixels = random.Random(seed).randbytes(100 * 100)
    Image.frombytes("L", (100, 100), pixels).save(out, format="PNG")
    return out.getvalue()


def add(patient, data: bytes) -> Document:
    from django.core.files.uploadedfile import SimpleUploadedFile

    name = "scan.png" if data.startswith(b"\x89PNG") else "report.pdf"
    document = document_add_to_patient(
        patient=patient, category="pathology", upload=SimpleUploadedFile(name, data)
    )
    Document.objects.filter(pk=document.pk).update(status=ScanStatus.CLEAN)
    document.refresh_from_db()
    return document


def stored_path(settings, document: Document) -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / document.storage_name


def plaintext(document: Document) -> bytes:
    with document_file_open(document) as stream:
        return stream.read()


def test_a_document_is_stored_encrypted_and_reads_back_whole(patient, settings, small_chunks):
    data = noisy_png()
    document = add(patient, data)

    raw = stored_path(settings, document).read_bytes()
    assert data[:64] not in raw and data[5000:5064] not in raw
    assert len(raw) == encryption.encrypted_size(len(data))
    assert document.key_id == "dev" and document.wrapped_key
    assert plaintext(document) == data
    # The fingerprint is of what the patient sent, not of the stored form.
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_two_uploads_of_different_files_get_different_data_keys(patient):
    first, second = add(patient, pdf_bytes("One.")), add(patient, pdf_bytes("Two."))
    assert first.wrapped_key != second.wrapped_key


def chunks_of(raw: bytes) -> tuple[bytes, list[bytes]]:
    size = SMALL_CHUNK + TAG
    body = raw[HEADER_SIZE:]
    return raw[:HEADER_SIZE], [body[i : i + size] for i in range(0, len(body), size)]


TAMPERINGS = {
    "cut_at_a_chunk_boundary": lambda head, parts: head + b"".join(parts[:-1]),
    "cut_inside_a_chunk": lambda head, parts: head + b"".join(parts)[:-7],
    "two_chunks_swapped": lambda head, parts: head + parts[1] + parts[0] + b"".join(parts[2:]),
    "a_chunk_repeated": lambda head, parts: head + parts[0] + b"".join(parts),
    "a_chunk_dropped": lambda head, parts: head + parts[0] + b"".join(parts[2:]),
    "a_chunk_appended": lambda head, parts: head + b"".join(parts) + parts[-1],
    "one_bit_flipped": lambda head, parts: (
        head + bytes([parts[0][0] ^ 1]) + parts[0][1:] + b"".join(parts[1:])
    ),
    "header_changed": lambda head, parts: head[:-1] + bytes([head[-1] ^ 2]) + b"".join(parts),
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS)
def test_a_stored_file_changed_in_any_way_does_not_decrypt(
    patient, settings, small_chunks, tamper
):
    document = add(patient, noisy_png())
    path = stored_path(settings, document)
    head, parts = chunks_of(path.read_bytes())
    assert len(parts) > 3
    path.write_bytes(tamper(head, parts))

    with pytest.raises(StoredFileCorrupt):
        plaintext(document)


def test_another_documents_file_put_in_its_place_does_not_decrypt(patient, settings):
    first, second = add(patient, pdf_bytes("One.")), add(patient, pdf_bytes("Two."))
    stored_path(settings, first).write_bytes(stored_path(settings, second).read_bytes())
    with pytest.raises(StoredFileCorrupt):
        plaintext(first)


def test_a_changed_file_is_not_downloaded_and_the_daily_check_finds_it(
    patient, settings, small_chunks, coordinator_client
):
    document = add(patient, noisy_png())
    path = stored_path(settings, document)
    head, parts = chunks_of(path.read_bytes())
    path.write_bytes(head + b"".join(parts[:-1]))

    url = reverse("admin:records_document_download", args=[document.public_id])
    response = coordinator_client.get(url)
    assert response.status_code == 409
    assert stored_files_verify() == [document.pk]


def test_staff_and_patients_download_the_plaintext(patient, settings, coordinator_client):
    data = pdf_bytes("Pathology report.")
    document = add(patient, data)
    response = coordinator_client.get(
        reverse("admin:records_document_download", args=[document.public_id])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert stored_files_verify() == []


def test_rotation_rewraps_data_keys_and_leaves_files_untouched(patient, settings):
    data = pdf_bytes("Before rotation.")
    document = add(patient, data)
    path = stored_path(settings, document)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    dev = settings.DOCUMENT_ENCRYPTION_KEYS["dev"]
    new = hashlib.sha256(b"new key").digest()
    settings.DOCUMENT_ENCRYPTION_KEYS = {"2027-01": new, "dev": dev}

    call_command("rotate_document_keys", stdout=io.StringIO())

    document.refresh_from_db()
    assert document.key_id == "2027-01"
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    settings.DOCUMENT_ENCRYPTION_KEYS = {"2027-01": new}  # the old key can now go
    assert plaintext(document) == data
    # New uploads use the new key.
    assert add(patient, pdf_bytes("After.")).key_id == "2027-01"


def test_rotation_without_the_old_key_says_which_documents_it_could_not_rewrap(patient, settings):
    add(patient, pdf_bytes("Old key."))
    settings.DOCUMENT_ENCRYPTION_KEYS = {"2027-01": hashlib.sha256(b"k").digest()}
    with pytest.raises(CommandError, match="could not be unwrapped"):
        call_command("rotate_document_keys", stdout=io.StringIO(), stderr=io.StringIO())


def test_with_encryption_off_files_are_stored_as_sent_and_still_read(patient, settings):
    settings.DOCUMENT_ENCRYPTION = False
    data = pdf_bytes("Plain.")
    document = add(patient, data)
    assert document.wrapped_key == ""
    assert stored_path(settings, document).read_bytes() == data
    assert plaintext(document) == data


def test_an_empty_plaintext_round_trips(small_chunks):
    dk = os.urandom(32)
    stored = encryption.EncryptingReader(io.BytesIO(b""), dk, 0).read()
    assert len(stored) == encryption.encrypted_size(0)
    assert DecryptingReader(io.BytesIO(stored), dk).read() == b""


@pytest.mark.parametrize(
    "size", [SMALL_CHUNK - 1, SMALL_CHUNK, SMALL_CHUNK * 3, 3 * SMALL_CHUNK + 5]
)
def test_sizes_around_chunk_boundaries_round_trip_in_small_reads(small_chunks, size):
    dk, data = os.urandom(32), os.urandom(size)
    stored = encryption.EncryptingReader(io.BytesIO(data), dk, size).read()
    assert len(stored) == encryption.encrypted_size(size)
    reader = DecryptingReader(io.BytesIO(stored), dk)
    assert b"".join(iter(lambda: reader.read(333), b"")) == data


def test_production_refuses_to_start_without_a_document_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "DOCUMENT_ENCRYPTION_KEYS"}
    result = _manage("check", env={**env, "DOCUMENT_ENCRYPTION_KEYS": ""})
    assert result.returncode != 0
    assert "DOCUMENT_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_the_public_development_key():
    from django.conf import settings

    dev = "dev:" + base64.b64encode(settings.DOCUMENT_ENCRYPTION_KEYS["dev"]).decode()
    result = _manage("check", env={**PROD_ENV, "DOCUMENT_ENCRYPTION_KEYS": dev})
    assert result.returncode != 0
    assert "DOCUMENT_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_document_key_names_the_variable():
    result = _manage("check", env={**PROD_ENV, "DOCUMENT_ENCRYPTION_KEYS": "k1:c2hvcnQ="})
    assert result.returncode != 0
    assert "DOCUMENT_ENCRYPTION_KEYS" in result.stderr


def test_the_deploy_check_warns_when_encryption_is_turned_off():
    result = _manage("check", "--deploy", env={**PROD_ENV, "DOCUMENT_ENCRYPTION": "0"})
    assert "records.W001" in result.stdout + result.stderr


def test_documents_stored_in_plain_before_encryption_are_encrypted_in_place(patient, settings):
    settings.DOCUMENT_ENCRYPTION = False
    data = pdf_bytes("Stored before encryption.")
    old = add(patient, data)
    changed = add(patient, pdf_bytes("Changed on disk."))
    stored_path(settings, changed).write_bytes(pdf_bytes("Something else."))
    settings.DOCUMENT_ENCRYPTION = True

    with pytest.raises(CommandError, match="1 documents could not be encrypted"):
        call_command("encrypt_stored_documents", stdout=io.StringIO(), stderr=io.StringIO())

    old.refresh_from_db()
    assert old.key_id == "dev" and old.wrapped_key
    assert data[:200] not in stored_path(settings, old).read_bytes()
    assert plaintext(old) == data
    assert len(stored_files(Path(settings.PRIVATE_STORAGE_ROOT))) == 2  # plain copy gone
    changed.refresh_from_db()
    assert changed.wrapped_key == ""  # left for the integrity check to report
