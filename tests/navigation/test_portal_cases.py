"""The patient's own case pages: what they show, and that nobody else sees them."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from navigation.models import CaseEvent, CaseStatus, RecordsRequest
from navigation.views.portal import PATIENT_LABEL
from records.models import AuditEvent, Consent, Document, DocumentCategory, ScanStatus
from records.services.audit import audit_record
from tests.navigation.test_portal_signin import make_case, sign_in

pytestmark = pytest.mark.django_db


def add_document(case, name="pathology.pdf", status=ScanStatus.CLEAN) -> Document:
    return Document.objects.create(
        patient=case.patient,
        category=DocumentCategory.PATHOLOGY,
        original_name=name,
        storage_name=f"documents/{uuid.uuid4().hex}",
        size=1234,
        sha256="0" * 64,
        content_type="application/pdf",
        status=status,
    )


def case_urls(case, document) -> list[tuple[str, str]]:
    ref = case.reference
    return [
        ("get", reverse("navigation:portal_case", args=[ref])),
        ("post", reverse("navigation:portal_upload", args=[ref])),
        ("get", reverse("navigation:portal_document", args=[ref, document.public_id])),
        ("post", reverse("navigation:portal_withdraw", args=[ref])),
    ]


@pytest.fixture
def case_a():
    return make_case(email="ana@example.org", name="Ana Patient")


@pytest.fixture
def case_b():
    return make_case(email="ben@example.org", name="Ben Patient")


def test_a_patient_sees_their_own_cases_and_no_one_elses(client, case_a, case_b):
    sign_in(client, "ana@example.org")
    page = client.get("/portal/")
    assert case_a.reference.encode() in page.content
    assert case_b.reference.encode() not in page.content


def test_patient_b_gets_404_on_every_page_and_file_of_patient_a(client, case_a, case_b):
    document = add_document(case_a)
    sign_in(client, "ben@example.org")
    for method, url in case_urls(case_a, document):
        data = {"confirm": "on", "category": "pathology"} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, url
    # Patient A's own document is not reachable through B's case reference either.
    crossed = reverse("navigation:portal_document", args=[case_b.reference, document.public_id])
    assert client.get(crossed).status_code == 404
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED
    assert not Consent.objects.filter(withdrawn_at__isnull=False).exists()


def test_an_anonymous_visitor_gets_the_sign_in_page_on_every_case_url(client, case_a):
    document = add_document(case_a)
    for method, url in case_urls(case_a, document):
        response = getattr(client, method)(url, follow=True)
        assert response.status_code == 200, url
        assert response.redirect_chain[-1][0] == "/portal/"
        assert b'name="email"' in response.content
        assert case_a.reference.encode() not in response.content


def test_an_unknown_reference_is_404(client, case_a):
    sign_in(client, "ana@example.org")
    assert client.get("/portal/cases/CF-NOSUCH99/").status_code == 404


def test_the_case_page_shows_the_status_timeline(client, case_a):
    CaseEvent.objects.create(
        case=case_a,
        at=timezone.now(),
        from_status=CaseStatus.SUBMITTED,
        to_status=CaseStatus.UNDER_REVIEW,
        note="internal: checked HER2 slides",
    )
    sign_in(client, "ana@example.org")
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference]))
    assert page.status_code == 200
    assert b"Under review" in page.content
    # Coordinators' notes on transitions stay internal.
    assert b"internal: checked HER2 slides" not in page.content


def test_the_case_page_lists_what_a_coordinator_asked_for(client, case_a, coordinator):
    RecordsRequest.objects.create(
        case=case_a,
        requested_by=coordinator,
        items=[DocumentCategory.HER2, "Blood test from last month"],
        message="Please send your HER2 report.",
    )
    sign_in(client, "ana@example.org")
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference])).content
    assert b"HER2 test report" in page
    assert b"Blood test from last month" in page
    assert b"Please send your HER2 report." in page


def test_the_case_page_lists_documents_and_links_only_clean_ones(client, case_a):
    clean = add_document(case_a, name="clean-report.pdf")
    pending = add_document(case_a, name="waiting-scan.pdf", status=ScanStatus.PENDING)
    sign_in(client, "ana@example.org")
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference])).content
    assert b"clean-report.pdf" in page
    assert b"waiting-scan.pdf" in page
    clean_url = reverse("navigation:portal_document", args=[case_a.reference, clean.public_id])
    pending_url = reverse("navigation:portal_document", args=[case_a.reference, pending.public_id])
    assert clean_url.encode() in page
    assert pending_url.encode() not in page
    assert client.get(pending_url).status_code == 404


def test_the_case_page_shows_which_staff_viewed_the_records(client, case_a, case_b):
    nadia = User.objects.create_user(
        "nadia", first_name="Nadia", last_name="Haddad", is_staff=True
    )
    omar = User.objects.create_user("omar", first_name="Omar", last_name="Said", is_staff=True)
    for case, staff in ((case_a, nadia), (case_b, omar)):
        audit_record(
            actor=staff,
            actor_label=staff.get_username(),
            action=AuditEvent.Action.VIEW_CASE,
            patient=case.patient,
        )
    sign_in(client, "ana@example.org")
    url = reverse("navigation:portal_case", args=[case_a.reference])
    client.get(url)
    page = client.get(url).content
    assert b"Nadia Haddad" in page
    assert b"Omar Said" not in page
    # The patient's own visits are audited but not listed as staff views.
    assert AuditEvent.objects.for_patient(case_a.patient).filter(actor__isnull=True).count() == 2
    assert PATIENT_LABEL.encode() not in page


def test_withdrawing_needs_a_confirmation(client, case_a):
    sign_in(client, "ana@example.org")
    url = reverse("navigation:portal_withdraw", args=[case_a.reference])
    response = client.post(url, {})
    assert response.status_code == 400
    assert b"Please tick this box to confirm." in response.content
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED


def test_withdrawing_closes_the_case_and_records_the_erasure_request(
    client, case_a, settings, django_capture_on_commit_callbacks
):
    settings.COORDINATOR_EMAILS = ["team@example.org"]
    Consent.objects.create(
        patient=case_a.patient, text_version="1", text_sha256="a" * 64, given_at=timezone.now()
    )
    sign_in(client, "ana@example.org")
    mail.outbox.clear()
    url = reverse("navigation:portal_withdraw", args=[case_a.reference])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on", "erase": "on"})
    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.WITHDRAWN
    assert case_a.patient.consents.get().withdrawn_at is not None
    event = case_a.events.get(to_status=CaseStatus.WITHDRAWN)
    assert "erase" in event.note
    assert [m.to for m in mail.outbox] == [["team@example.org"]]
    assert case_a.reference in mail.outbox[0].subject
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference])).content
    assert b"Withdrawn" in page


def test_a_second_withdrawal_click_changes_and_sends_nothing(
    client, case_a, settings, django_capture_on_commit_callbacks
):
    settings.COORDINATOR_EMAILS = ["team@example.org"]
    sign_in(client, "ana@example.org")
    mail.outbox.clear()
    url = reverse("navigation:portal_withdraw", args=[case_a.reference])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "on"})
        client.post(url, {"confirm": "on"})
    assert case_a.events.filter(to_status=CaseStatus.WITHDRAWN).count() == 1
    assert len(mail.outbox) == 1


def test_an_erasure_request_on_a_closed_case_still_reaches_the_coordinators(
    client, case_a, coordinator, django_capture_on_commit_callbacks
):
    case_a.status = CaseStatus.NOT_SUITABLE
    case_a.assignee = coordinator
    case_a.save(update_fields=["status", "assignee"])
    sign_in(client, "ana@example.org")
    mail.outbox.clear()
    url = reverse("navigation:portal_withdraw", args=[case_a.reference])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on", "erase": "on"})
    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.NOT_SUITABLE
    assert "erased" in case_a.events.latest("at").note
    assert [m.to for m in mail.outbox] == [[coordinator.email]]


def test_after_withdrawing_the_patient_can_still_ask_for_erasure(
    client, case_a, settings, django_capture_on_commit_callbacks
):
    settings.COORDINATOR_EMAILS = ["team@example.org"]
    sign_in(client, "ana@example.org")
    url = reverse("navigation:portal_withdraw", args=[case_a.reference])
    client.post(url, {"confirm": "on"})
    page = client.get(reverse("navigation:portal_case", args=[case_a.reference])).content
    assert b"Ask for erasure" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "on", "erase": "on"})
    assert "erased" in case_a.events.latest("at").note
    assert len(mail.outbox) == 1
