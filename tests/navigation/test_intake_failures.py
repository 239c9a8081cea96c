"""A submission is idempotent and its error pages tell the truth: sent twice it is stored
once; a failure before anything was stored says so and keeps the answers; a failure after
the commit still shows the patient their reference."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError

from navigation.models import Case
from navigation.sessions import RECEIVED_SESSION_KEY
from navigation.views import public
from records.models import Document, Patient
from tests.navigation.test_intake import pdf_bytes, valid_answers

pytestmark = pytest.mark.django_db


def _keyed(**overrides) -> dict:
    return {**valid_answers(**overrides), "submission_key": str(uuid.uuid4())}


def _reference(response) -> str:
    return re.search(rb'data-testid="case-reference">([^<]+)<', response.content)[1].decode()


def test_the_form_carries_a_fresh_submission_key(client):
    first = client.get("/submit/").content.decode()
    second = client.get("/submit/").content.decode()
    pattern = r'name="submission_key" value="([0-9a-f-]{36})"'
    assert re.search(pattern, first)[1] != re.search(pattern, second)[1]


def test_the_same_form_sent_twice_opens_one_case_and_stores_each_file_once(client):
    answers = _keyed()

    def send():
        files = [SimpleUploadedFile("path.pdf", pdf_bytes(), content_type="application/pdf")]
        return client.post("/submit/", {**answers, "files_pathology": files}, follow=True)

    first, second = send(), send()
    assert first.status_code == second.status_code == 200
    assert _reference(first) == _reference(second) == Case.objects.get().reference
    assert Patient.objects.count() == 1
    assert Document.objects.count() == 1


def test_a_retry_from_another_browser_session_still_finds_the_stored_case(client, settings):
    from django.test import Client

    answers = _keyed()
    reference = _reference(client.post("/submit/", answers, follow=True))
    retry = Client().post("/submit/", answers, follow=True)
    assert _reference(retry) == reference
    assert Case.objects.count() == 1


def test_a_database_failure_before_commit_says_nothing_was_stored_and_keeps_the_answers(
    client, monkeypatch
):
    def outage(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(public, "intake_submit", outage)
    response = client.post("/submit/", _keyed(full_name="Kept Name"))
    assert response.status_code == 503
    page = response.content.decode()
    assert "Your submission was not saved" in page
    assert 'value="Kept Name"' in page
    assert not Case.objects.exists()


def test_a_storage_failure_while_keeping_files_says_nothing_was_stored(client, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(FileSystemStorage, "_save", read_only)
    answers = _keyed()
    answers["files_pathology"] = [
        SimpleUploadedFile("path.pdf", pdf_bytes(), content_type="application/pdf")
    ]
    response = client.post("/submit/", answers)
    assert response.status_code == 503
    assert "Your submission was not saved" in response.content.decode()
    assert "case reference is" not in response.content.decode()
    assert not Case.objects.exists()


def test_a_session_that_cannot_be_saved_after_commit_still_shows_the_reference(
    client, monkeypatch
):
    from django.contrib.sessions.backends.base import UpdateError

    from cancerfax.session_store import SessionStore

    client.get("/submit/")
    real_save = SessionStore.save

    def save(self, must_create=False):
        if RECEIVED_SESSION_KEY in self._session:
            # What Django's database session store raises when its UPDATE fails.
            raise UpdateError
        return real_save(self, must_create)

    monkeypatch.setattr(SessionStore, "save", save)
    response = client.post("/submit/", _keyed())
    assert response.status_code == 200
    assert _reference(response) == Case.objects.get().reference


def test_the_form_page_with_the_database_down_is_a_503_page_not_a_bare_400(client, monkeypatch):
    client.raise_request_exception = False

    def outage(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(public, "draft_for_request", outage)
    response = client.get("/submit/")
    assert response.status_code == 503
    assert b"briefly unavailable" in response.content


def test_a_session_save_broken_by_the_database_is_a_503_and_other_bad_requests_stay_400(rf):
    from django.contrib.sessions.exceptions import SessionInterrupted
    from django.core.exceptions import SuspiciousOperation

    from cancerfax import errors

    # Django's session middleware turns a failed session UPDATE into SessionInterrupted
    # (a bare 400) raised while handling the database error.
    try:
        try:
            raise OperationalError("terminating connection due to administrator command")
        except OperationalError:
            raise SessionInterrupted("The request's session was deleted") from None
    except SessionInterrupted as exc:
        response = errors.bad_request(rf.get("/submit/"), exc)
    assert response.status_code == 503
    assert response["Retry-After"]
    try:
        raise SuspiciousOperation("bad host")
    except SuspiciousOperation as exc:
        assert errors.bad_request(rf.get("/"), exc).status_code == 400
