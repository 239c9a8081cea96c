"""The coordinators' case page: everything in one place, every view audited."""

import pytest
from django.core import mail
from django.urls import reverse

from navigation.models import CaseEvent, CaseNote, CaseStatus, OncologySummary, RecordsRequest
from navigation.services.review import case_review_open
from records.models import AuditEvent, DocumentCategory, ScanStatus
from tests.navigation.factories import make_case, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(coordinator):
    case = make_case(her2_ihc="3+", trastuzumab=True)
    make_document(case.patient, content=b"%PDF-1.4 pathology of the case page\n")
    make_document(case.patient, category=DocumentCategory.IMAGING, status=ScanStatus.PENDING)
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    return case


def page_url(case) -> str:
    return reverse("admin:navigation_case_change", args=[case.pk])


def test_the_case_page_shows_profile_prescreen_documents_and_history(coordinator_client, case):
    response = coordinator_client.get(page_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.patient.full_name in html
    # Each criterion of the pre-screen, explained.
    for criterion in case.prescreen_result["criteria"]:
        assert criterion["factor"] in html
    document = case.patient.documents.get(category=DocumentCategory.PATHOLOGY)
    assert document.sha256 in html
    assert reverse("admin:navigation_case_document", args=[case.pk, document.public_id]) in html
    # The pending scan is listed but not offered for download.
    pending = case.patient.documents.get(category=DocumentCategory.IMAGING)
    assert reverse("admin:navigation_case_document", args=[case.pk, pending.public_id]) not in html
    assert "Review task created" in html
    assert response["Cache-Control"].startswith("no-store")


def test_each_view_of_the_case_page_writes_one_audit_row(coordinator_client, coordinator, case):
    before = AuditEvent.objects.count()
    coordinator_client.get(page_url(case))
    coordinator_client.get(page_url(case))
    events = AuditEvent.objects.order_by("pk")[before:]
    assert [(e.action, e.actor_id, e.patient_ref) for e in events] == [
        (AuditEvent.Action.VIEW_CASE, coordinator.pk, case.patient.public_id)
    ] * 2


def test_it_refuses_a_content_editor_and_audits_nothing(editor_client, case):
    before = AuditEvent.objects.count()
    assert editor_client.get(page_url(case)).status_code == 403
    assert AuditEvent.objects.count() == before


def test_a_coordinator_downloads_a_document_as_an_audited_attachment(coordinator_client, case):
    document = case.patient.documents.get(category=DocumentCategory.PATHOLOGY)
    url = reverse("admin:navigation_case_document", args=[case.pk, document.public_id])
    response = coordinator_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 pathology of the case page\n"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.latest("pk")
    assert event.action == AuditEvent.Action.DOWNLOAD_DOCUMENT
    assert event.target == f"document:{document.public_id}"


def test_a_pending_document_is_not_downloadable(coordinator_client, case):
    pending = case.patient.documents.get(category=DocumentCategory.IMAGING)
    url = reverse("admin:navigation_case_document", args=[case.pk, pending.public_id])
    assert coordinator_client.get(url).status_code == 404


def test_another_patients_document_is_404_through_this_case(coordinator_client, case):
    other = make_case()
    document = make_document(other.patient)
    url = reverse("admin:navigation_case_document", args=[case.pk, document.public_id])
    assert coordinator_client.get(url).status_code == 404


def test_the_request_records_form_emails_the_patient_and_moves_the_case(coordinator_client, case):
    mail.outbox.clear()
    url = reverse("admin:navigation_case_request_records", args=[case.pk])
    response = coordinator_client.post(
        url, {"items": ["her2", "surgery"], "other": "Discharge letter", "message": "Thanks"}
    )
    assert response.status_code == 302
    request = RecordsRequest.objects.get(case=case)
    assert request.items == ["her2", "surgery", "Discharge letter"]
    case.refresh_from_db()
    assert case.status == CaseStatus.RECORDS_REQUESTED
    [message] = mail.outbox
    assert message.to == [case.patient.email]
    assert "HER2 test report" in message.body and "/portal/" in message.body


def test_an_empty_request_is_refused_with_a_message(coordinator_client, case):
    url = reverse("admin:navigation_case_request_records", args=[case.pk])
    response = coordinator_client.post(url, {"message": "nothing ticked"}, follow=True)
    assert response.content.decode().count("Tick at least one record") == 1
    assert not RecordsRequest.objects.exists()


def test_notes_and_moves_go_through_the_services(coordinator_client, coordinator, case):
    coordinator_client.post(
        reverse("admin:navigation_case_note", args=[case.pk]), {"text": "Called the family."}
    )
    assert CaseNote.objects.get(case=case).author == coordinator
    coordinator_client.post(
        reverse("admin:navigation_case_move", args=[case.pk]),
        {"to_status": CaseStatus.UNDER_REVIEW, "note": "Starting"},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        coordinator,
        CaseStatus.SUBMITTED,
        CaseStatus.UNDER_REVIEW,
        "Starting",
    )


def test_choosing_a_centre_matches_the_case(coordinator_client, case):
    from navigation.matching import load_example_centres
    from navigation.models import Centre

    load_example_centres()
    centre = Centre.objects.first()
    coordinator_client.post(
        reverse("admin:navigation_case_move", args=[case.pk]),
        {"to_status": CaseStatus.UNDER_REVIEW},
    )
    coordinator_client.post(
        reverse("admin:navigation_case_centre", args=[case.pk]), {"centre": centre.pk}
    )
    case.refresh_from_db()
    assert (case.status, case.centre) == (CaseStatus.CENTRE_MATCHED, centre)


def test_the_summary_is_built_downloaded_audited_and_rebuilt_after_a_profile_change(
    coordinator_client, case
):
    coordinator_client.post(reverse("admin:navigation_case_build_summary", args=[case.pk]))
    summary = OncologySummary.objects.get(case=case)
    first_name = summary.storage_name
    url = reverse("admin:navigation_case_summary", args=[case.pk])
    response = coordinator_client.get(url)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.latest("pk").action == AuditEvent.Action.DOWNLOAD_SUMMARY

    profile = case.patient.profile
    profile.ecog = 3
    profile.save()
    response = coordinator_client.get(url)
    b"".join(response.streaming_content)
    summary.refresh_from_db()
    assert summary.storage_name != first_name
    assert summary.profile_updated_at == profile.updated_at


def test_the_admin_history_of_a_case_is_audited_too(coordinator_client, case):
    before = AuditEvent.objects.count()
    url = reverse("admin:navigation_case_history", args=[case.pk])
    assert coordinator_client.get(url).status_code == 200
    assert list(AuditEvent.objects.order_by("pk")[before:].values_list("target", flat=True)) == [
        "history"
    ]


def test_a_file_not_scanned_in_development_is_offered_with_a_warning(coordinator_client, case):
    document = make_document(
        case.patient, category=DocumentCategory.SURGERY, status=ScanStatus.UNSCANNED
    )
    html = coordinator_client.get(page_url(case)).content.decode()
    assert "Not scanned (no scanner in development)" in html
    assert "were not checked for viruses" in html
    url = reverse("admin:navigation_case_document", args=[case.pk, document.public_id])
    assert url in html
    assert coordinator_client.get(url).status_code == 200


def test_the_outcome_reads_as_words_on_the_case_page(coordinator_client, case):
    case.prescreen_result = {**case.prescreen_result, "outcome": "insufficient_information"}
    case.save(update_fields=["prescreen_result"])
    html = coordinator_client.get(page_url(case)).content.decode()
    assert "Outcome: <strong>insufficient information</strong>" in html
