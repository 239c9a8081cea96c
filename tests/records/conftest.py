from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import Patient
from records.services.patients import patient_submit


@pytest.fixture(autouse=True)
def upload_temp_dir(settings, tmp_path) -> Path:
    """Uploads stream into a directory of their own, so tests can see nothing is left."""
    path = tmp_path / "upload-tmp"
    path.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(path)
    return path


@pytest.fixture
def private_dir(settings) -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def post_upload(client, name: str, data: bytes, category: str):
    return client.post(
        reverse("records:upload_create"),
        {"category": category, "file": SimpleUploadedFile(name, data)},
        headers={"accept": "application/json"},
    )


CONTACT = {
    "full_name": "Ana Example",
    "date_of_birth": "1961-04-02",
    "relationship": "family",
    "contact_name": "Maria Example",
    "email": "maria@example.org",
    "phone": "+44 20 7946 0958",
    "country": "United Kingdom",
    "preferred_language": "English",
}


@pytest.fixture
def patient(db) -> Patient:
    import datetime

    return patient_submit(
        contact={**CONTACT, "date_of_birth": datetime.date(1961, 4, 2), "phone": "+442079460958"},
        profile={"stage": "III", "her2_ihc": "3+"},
        consent_version="2026-11",
        draft=None,
    )
