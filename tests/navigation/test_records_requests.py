"""Records requests close only when something arrives: an upload made after the request, or
a coordinator marking an item received; a request can be closed with a note."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from navigation.models import Case, CaseEvent, CaseEventKind, CaseStatus, RecordsRequest
from navigation.services.cases import case_event_record
from navigation.services.portal import case_withdraw
from navigation.services.records_requests import records_request_create
from navigation.services.review import case_missing_records_refresh, cases_missing_records_refresh
from records.models import DocumentCategory, ScanStatus
from tests.navigation.factories import make_case, make_document
from tests.navigation.test_portal_signin import sign_in
from tests.records.files import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_with_her2_file(coordinator):
    case = make_case(her2_ihc="", email="ana@example.org")
    make_document(case.patient, category=DocumentCategory.HER2)
    return case


def page_url(case) -> str:
    return reverse("admin:navigation_case_change", args=[case.pk])


def ask(case, coordinator, items) -> RecordsRequest:
    return records_request_create(case=case, items=items, message="", actor=coordinator)


def test_a_file_sent_before_the_request_does_not_answer_it(
    coordinator, coordinator_client, case_with_her2_file
):
    case = case_with_her2_file
    records_request = ask(case, coordinator, [DocumentCategory.HER2])
    case_missing_records_refresh(case=case)
    cases_missing_records_refresh()
    coordinator_client.get(page_url(case))
    records_request.refresh_from_db()
    assert records_request.fulfilled_at is None
    assert records_request.item_states[0]["state"] == "waiting"


def test_a_file_uploaded_after_the_request_in_the_portal_marks_it_received(
    client, coordinator, case_with_her2_file
):
    case = case_with_her2_file
    records_request = ask(case, coordinator, [DocumentCategory.HER2])
    sign_in(client, "ana@example.org")
    client.post(
        reverse("navigation:portal_upload", args=[case.reference]),
        {"category": DocumentCategory.HER2, "files": SimpleUploadedFile("her2.pdf", pdf_bytes())},
    )
    records_request.refresh_from_db()
    assert records_request.fulfilled_at is not None
    assert records_request.received[DocumentCategory.HER2]["by"] == "upload"
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.RECORD_RECEIVED).count() == 1


def test_an_infected_upload_answers_nothing(coordinator, case_with_her2_file):
    case = case_with_her2_file
    records_request = ask(case, coordinator, [DocumentCategory.HER2])
    make_document(case.patient, category=DocumentCategory.HER2, status=ScanStatus.INFECTED)
    case_missing_records_refresh(case=case)
    records_request.refresh_from_db()
    assert records_request.fulfilled_at is None


def test_a_coordinator_marks_a_free_text_item_received(coordinator, coordinator_client):
    case = make_case()
    records_request = ask(case, coordinator, [DocumentCategory.PATHOLOGY, "Discharge letter"])
    url = reverse(
        "admin:navigation_case_records_item_receive", args=[case.pk, records_request.pk, 1]
    )
    assert coordinator_client.post(url).status_code == 302
    records_request.refresh_from_db()
    assert records_request.received["Discharge letter"]["by"] == "coordinator"
    assert records_request.fulfilled_at is None  # the pathology report is still awaited
    states = [item["state"] for item in records_request.item_states]
    assert states == ["waiting", "received"]
    # Marking twice changes nothing.
    coordinator_client.post(url)
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.RECORD_RECEIVED).count() == 1


def test_a_request_is_closed_with_a_note_and_not_without_one(coordinator, coordinator_client):
    case = make_case()
    records_request = ask(case, coordinator, [DocumentCategory.IMAGING])
    url = reverse(
        "admin:navigation_case_records_request_close", args=[case.pk, records_request.pk]
    )
    coordinator_client.post(url, {"close_note": "  "})
    records_request.refresh_from_db()
    assert records_request.closed_at is None
    coordinator_client.post(url, {"close_note": "Imaging was done abroad; not obtainable."})
    records_request.refresh_from_db()
    assert records_request.closed_at is not None
    assert records_request.closed_by == coordinator
    assert records_request.item_states[0]["state"] == "closed"
    html = coordinator_client.get(page_url(case)).content.decode()
    assert "Imaging was done abroad; not obtainable." in html


def test_a_content_editor_cannot_mark_or_close(editor_client, coordinator):
    case = make_case()
    records_request = ask(case, coordinator, ["Discharge letter"])
    for name, args in (
        ("admin:navigation_case_records_item_receive", [case.pk, records_request.pk, 0]),
        ("admin:navigation_case_records_request_close", [case.pk, records_request.pk]),
    ):
        assert editor_client.post(reverse(name, args=args), {"close_note": "x"}).status_code == 403
    records_request.refresh_from_db()
    assert records_request.is_open and not records_request.received


def test_the_portal_shows_each_items_state(client, coordinator):
    case = make_case(email="ana@example.org")
    records_request = ask(case, coordinator, [DocumentCategory.PATHOLOGY, "Discharge letter"])
    from navigation.services.records_requests import records_request_item_receive

    records_request_item_receive(records_request=records_request, index=1, actor=coordinator)
    sign_in(client, "ana@example.org")
    html = client.get(reverse("navigation:portal_case", args=[case.reference])).content.decode()
    assert 'Pathology report — <span class="badge text-bg-warning">waiting for you' in html
    assert 'Discharge letter — <span class="badge text-bg-success">received' in html


# --- opening a case changes nothing ------------------------------------------------------


def test_opening_the_case_page_writes_nothing_to_the_case(coordinator, coordinator_client):
    case = make_case(her2_ihc="")
    ask(case, coordinator, [DocumentCategory.HER2])
    # An upload the case has not taken in yet: the page shows the case as it is stored.
    make_document(case.patient, category=DocumentCategory.HER2)
    before = Case.objects.filter(pk=case.pk).values().get()
    events = CaseEvent.objects.filter(case=case).count()
    requests = list(RecordsRequest.objects.filter(case=case).values())
    assert coordinator_client.get(page_url(case)).status_code == 200
    assert Case.objects.filter(pk=case.pk).values().get() == before
    assert CaseEvent.objects.filter(case=case).count() == events
    assert list(RecordsRequest.objects.filter(case=case).values()) == requests


# --- erasure requests are typed events ---------------------------------------------------


def test_the_patients_erasure_request_is_a_typed_event_the_erase_page_shows(
    superuser_client, coordinator
):
    case = make_case()
    case_withdraw(case=case, erase=True)
    event = CaseEvent.objects.get(case=case, kind=CaseEventKind.ERASURE_REQUESTED)
    assert event.data == {"source": "portal"}
    html = superuser_client.get(
        reverse("admin:navigation_case_erase", args=[case.pk])
    ).content.decode()
    assert "The patient asked for erasure on" in html


def test_a_note_that_mentions_erasure_is_not_an_erasure_request(superuser_client, coordinator):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.UNDER_REVIEW)
    case_event_record(case=case, note="Told the family their data would be erased on request.")
    html = superuser_client.get(
        reverse("admin:navigation_case_erase", args=[case.pk])
    ).content.decode()
    assert "No erasure request from the patient" in html
