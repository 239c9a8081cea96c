"""The bad-file corpus: built here, sent through the real upload endpoint, none stored."""

import re

import pytest

from records.models import Document
from records.storage import document_file_open

from .conftest import post_upload, stored_files
from .files import BAD_FILES, GOOD_FILES


def test_the_corpus_is_large_and_covers_every_class():
    assert len(BAD_FILES) >= 60
    ids = {case[0] for case in BAD_FILES}
    for prefix in ("pe_", "elf_", "empty_", "pdf_", "jpeg_", "png_", "dicom_", "zip_"):
        assert any(i.startswith(prefix) for i in ids), prefix


@pytest.mark.parametrize(
    ("name", "category", "build", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_FILES],
)
def test_it_refuses_a_bad_file_with_a_readable_reason_and_keeps_nothing(
    client, db, private_dir, upload_temp_dir, name, category, build, words
):
    response = post_upload(client, name, build(), category)

    assert response.status_code == 400
    reason = response.json()["error"]
    assert words.lower() in reason.lower()
    # Readable: a sentence, not an exception's text.
    assert re.match(r"^[A-Z\w].{10,}[.)]$", reason), reason
    assert "Error" not in reason and "Traceback" not in reason
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []
    assert stored_files(upload_temp_dir) == []


@pytest.mark.parametrize(("name", "category", "build"), GOOD_FILES.values(), ids=GOOD_FILES)
def test_it_accepts_a_good_file_as_pending(
    client, db, private_dir, upload_temp_dir, name, category, build
):
    data = build()
    response = post_upload(client, name, data, category)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["size"] == len(data)
    document = Document.objects.get(public_id=body["id"])
    # Served under the given name, ending in the detected type's own extension.
    assert document.original_name == {"IM0001": "IM0001.dcm", "scan.dcm": "scan.dcm"}.get(
        name, name
    )
    assert document.draft is not None
    files = stored_files(private_dir)
    assert len(files) == 1
    # Encrypted at rest: the stored bytes are not the file, and decrypt back to it.
    assert data[16:80] not in files[0].read_bytes()
    with document_file_open(document) as stored:
        assert stored.read() == data
    assert name not in str(files[0])
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert stored_files(upload_temp_dir) == []
