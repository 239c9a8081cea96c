"""The hostile corpus through every upload route: the one-request JavaScript endpoint, the
resumable one the intake's and the portal's scripts use, the form without JavaScript, and
the patient portal's form. Each hazard is refused with a readable reason and
leaves nothing behind; names are stored harmless; the same bytes are kept once."""

import html
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import Document
from tests.navigation.test_portal_signin import make_case, sign_in

from .conftest import post_upload, stored_files
from .files import HOSTILE_FILES, NAMED_FILES, pdf_bytes
from .test_resumable_uploads import TUS, metadata, patch

pytestmark = pytest.mark.django_db

ROUTES = ("javascript", "resumable", "no_javascript", "portal", "portal_resumable")


@dataclass
class Sent:
    status: int
    text: str  # what the page or the JSON says about the files


class Route:
    """Sends files the way one route's page does."""

    def __init__(self, name: str, client) -> None:
        self.name = name
        self.client = client
        if name.startswith("portal"):
            self.case = make_case(email="ana@example.org")
            sign_in(client, "ana@example.org")

    def send(self, files: list[tuple[str, bytes]], category: str, **fields: str) -> Sent:
        uploads = [SimpleUploadedFile(name, data) for name, data in files]
        if self.name == "javascript":
            (name, data) = files[0]
            response = post_upload(self.client, name, data, category)
            body = response.json()
            return Sent(response.status_code, body.get("error") or body["name"])
        if self.name.endswith("resumable"):
            return self._send_resumable(*files[0], category)
        if self.name == "no_javascript":
            response = self.client.post("/submit/", {**fields, f"files_{category}": uploads})
        else:
            url = reverse("navigation:portal_upload", args=[self.case.reference])
            response = self.client.post(url, {**fields, "category": category, "files": uploads})
        page = response.content.decode()
        # Both pages list each refused file as "<li>name: reason</li>".
        items = [
            html.unescape(re.sub(r"<[^>]+>", "", li))
            for li in re.findall(r"<li>(.*?)</li>", page, re.S)
        ]
        self.page = html.unescape(page)
        return Sent(response.status_code, "\n".join(i for i in items if ": " in i))

    def _send_resumable(self, name: str, data: bytes, category: str) -> Sent:
        """As the script does: create, then the file in two pieces."""
        if self.name == "resumable":
            url = reverse("records:resumable_create")
        else:
            url = reverse("navigation:portal_resumable_create", args=[self.case.reference])
        headers = {
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(category, name),
        }
        created = self.client.post(url, headers=headers)
        if created.status_code != 201:
            body = created.json()
            return Sent(created.status_code, body.get("error", ""))
        location = created["Location"]
        half = len(data) // 2
        response = patch(self.client, location, 0, data[:half])
        if response.status_code == 204:
            response = patch(self.client, location, half, data[half:])
        if response.status_code != 204:
            return Sent(response.status_code, response.json().get("error", ""))
        result = self.client.get(location).json()
        return Sent(201, result.get("error") or result["document"]["name"])


@pytest.fixture(params=ROUTES)
def route(request, client) -> Route:
    return Route(request.param, client)


@pytest.mark.parametrize(
    ("name", "category", "build", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in HOSTILE_FILES],
)
def test_a_hostile_file_is_refused_with_its_reason_and_leaves_nothing(
    route, private_dir, upload_temp_dir, name, category, build, words
):
    sent = route.send([(name, build())], category)

    assert sent.status == 400
    assert words.lower() in sent.text.lower()
    assert not Document.objects.exists()
    assert stored_files(private_dir) == []
    assert stored_files(upload_temp_dir) == []


@pytest.mark.parametrize(
    ("given", "build", "category", "stored"),
    [pytest.param(*case, id=case[3]) for case in NAMED_FILES],
)
def test_a_file_is_stored_and_served_under_a_harmless_name(
    route, private_dir, given, build, category, stored
):
    route.send([(given, build())], category)

    document = Document.objects.get()
    assert document.original_name == stored
    assert given not in str(stored_files(private_dir)[0])


def test_the_same_bytes_sent_twice_are_stored_once(route, private_dir):
    data = pdf_bytes()
    route.send([("report.pdf", data)], "pathology")
    route.send([("report copy.pdf", data)], "pathology")

    assert Document.objects.count() == 1
    assert Document.objects.get().original_name == "report.pdf"
    assert len(stored_files(private_dir)) == 1


def test_the_javascript_endpoint_says_a_repeated_file_is_already_there(client):
    data = pdf_bytes()
    first = post_upload(client, "report.pdf", data, "pathology")
    again = post_upload(client, "again.pdf", data, "pathology")

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]


def test_different_bytes_under_the_same_name_are_both_kept(route):
    route.send([("report.pdf", pdf_bytes("First page."))], "pathology")
    route.send([("report.pdf", pdf_bytes("Second page."))], "pathology")

    assert Document.objects.count() == 2


@pytest.mark.parametrize("route_name", ["no_javascript", "portal"])
def test_more_files_than_django_takes_keep_the_typed_answers_and_say_why(
    client, settings, route_name
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    route = Route(route_name, client)
    files = [(f"page{n}.pdf", pdf_bytes(f"Page {n}.")) for n in range(5)]
    typed = {"full_name": "Ana Typed-Example", "country": "Portugal"}

    sent = route.send(files, "pathology", **(typed if route_name == "no_javascript" else {}))

    assert sent.status == 400
    assert "more files than we can take in one go" in route.page
    if route_name == "no_javascript":
        assert 'value="Ana Typed-Example"' in route.page
        assert 'value="Portugal"' in route.page
    # What came before the limit is kept, nothing after it.
    assert 0 < Document.objects.count() < len(files)
