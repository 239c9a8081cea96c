"""Who may open which case, document, summary and audit page, and the trail each view leaves.

Roles: anonymous, patient A (owner, signed in to the portal), patient B (another patient,
signed in), coordinator, content editor. Every cell is checked for the answer and for the
audit rows written: one per allowed view of patient data, none for a refusal.
"""

import pytest
from django.urls import reverse

from navigation.services.review import case_review_open
from navigation.sessions import SESSION_EMAIL, SESSION_PATIENTS
from records.models import AuditEvent
from tests.conftest import staff_client
from tests.navigation.factories import make_case, make_document

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "patient_a", "patient_b", "coordinator", "editor"]


@pytest.fixture
def world(coordinator, editor):
    case_a = make_case(email="owner.a@example.net")
    case_b = make_case(email="other.b@example.net")
    case_review_open(case_id=case_a.pk)
    doc_a = make_document(case_a.patient, content=b"%PDF-1.4 patient A only\n")
    return {"case_a": case_a, "case_b": case_b, "doc_a": doc_a}


def as_role(client, role: str, world, coordinator, editor):
    if role == "patient_a":
        session = client.session
        session[SESSION_EMAIL] = world["case_a"].patient.email
        session[SESSION_PATIENTS] = [world["case_a"].patient.pk]
        session.save()
    elif role == "patient_b":
        session = client.session
        session[SESSION_EMAIL] = world["case_b"].patient.email
        session[SESSION_PATIENTS] = [world["case_b"].patient.pk]
        session.save()
    elif role == "coordinator":
        staff_client(client, coordinator)
    elif role == "editor":
        staff_client(client, editor)
    return client


STAFF_ONLY = {
    "anonymous": "admin-login",
    "patient_a": "admin-login",
    "patient_b": "admin-login",
    "coordinator": 200,
    "editor": 403,
}
PATIENT_ONLY = {
    "anonymous": "portal",
    "patient_a": 200,
    "patient_b": 404,
    "coordinator": "portal",
    "editor": "portal",
}

URLS = [
    # (name, url builder, expected by role, audit action of an allowed view)
    (
        "case page",
        lambda w: reverse("admin:navigation_case_change", args=[w["case_a"].pk]),
        STAFF_ONLY,
        AuditEvent.Action.VIEW_CASE,
    ),
    (
        "staff document download",
        lambda w: reverse(
            "admin:navigation_case_document", args=[w["case_a"].pk, w["doc_a"].public_id]
        ),
        STAFF_ONLY,
        AuditEvent.Action.DOWNLOAD_DOCUMENT,
    ),
    (
        "oncology summary",
        lambda w: reverse("admin:navigation_case_summary", args=[w["case_a"].pk]),
        STAFF_ONLY,
        AuditEvent.Action.DOWNLOAD_SUMMARY,
    ),
    (
        "audit trail",
        lambda w: reverse("admin:navigation_case_audit", args=[w["case_a"].pk]),
        STAFF_ONLY,
        AuditEvent.Action.VIEW_RECORDS,
    ),
    (
        "portal case",
        lambda w: reverse("navigation:portal_case", args=[w["case_a"].reference]),
        PATIENT_ONLY,
        AuditEvent.Action.VIEW_CASE,
    ),
    (
        "portal document",
        lambda w: reverse(
            "navigation:portal_document", args=[w["case_a"].reference, w["doc_a"].public_id]
        ),
        PATIENT_ONLY,
        AuditEvent.Action.DOWNLOAD_DOCUMENT,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url_for", "expected", "action"), URLS, ids=[u[0] for u in URLS])
def test_no_leak_and_one_audit_row_per_allowed_view(
    client, world, coordinator, editor, role, name, url_for, expected, action
):
    client = as_role(client, role, world, coordinator, editor)
    before = AuditEvent.objects.count()
    response = client.get(url_for(world))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    new = list(AuditEvent.objects.order_by("pk")[before:])
    want = expected[role]
    if want == 200:
        assert response.status_code == 200
        assert [e.action for e in new] == [action]
        assert new[0].patient_ref == world["case_a"].patient.public_id
        if role == "coordinator":
            assert new[0].actor == coordinator
    else:
        if want == "admin-login":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        elif want == "portal":
            assert response.status_code == 302
            assert response["Location"] == reverse("navigation:portal")
        else:
            assert response.status_code == want
        assert new == []
        # Nothing of patient A in whatever was answered.
        assert world["case_a"].patient.full_name.encode() not in body
        assert b"patient A only" not in body


def test_a_coordinator_sees_the_same_trail_the_patient_sees(client, world, coordinator, editor):
    staff_client(client, coordinator)
    client.get(reverse("admin:navigation_case_change", args=[world["case_a"].pk]))
    response = client.get(reverse("admin:navigation_case_audit", args=[world["case_a"].pk]))
    html = response.content.decode()
    assert "Viewed case" in html and coordinator.username in html
    # Patient B's trail is not on patient A's page.
    other = AuditEvent.objects.filter(patient_ref=world["case_b"].patient.public_id)
    assert not other.exists()
