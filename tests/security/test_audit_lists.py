"""Every staff render of patient data writes one audit row: lists too (the query, with any
search term as a digest, and the patients shown), the autocomplete, and a case page
re-rendered after a POST with errors. The row's address is the client's, by the same rule
as rate limits and lockouts."""

import pytest

from records.audit import search_digest
from records.models import AuditEvent
from tests.navigation.factories import make_case, make_document

pytestmark = pytest.mark.django_db


def only_new_row(before: int) -> AuditEvent:
    rows = list(AuditEvent.objects.order_by("pk")[before:])
    assert len(rows) == 1, [(r.action, r.target) for r in rows]
    return rows[0]


def shown(row: AuditEvent) -> set[str]:
    return set(row.patients_shown.split())


def test_the_case_queue_records_its_query_and_the_patients_shown(coordinator_client):
    a, b = make_case(), make_case()
    before = AuditEvent.objects.count()
    assert (
        coordinator_client.get("/admin/navigation/case/", {"her2": "unknown"}).status_code == 200
    )
    row = only_new_row(before)
    assert row.action == AuditEvent.Action.VIEW_LIST
    assert row.target == "case list"
    assert row.query == "her2=unknown"
    assert shown(row) == {str(a.patient.public_id), str(b.patient.public_id)}
    assert AuditEvent.objects.for_patient(a.patient).filter(pk=row.pk).exists()


def test_a_search_is_recorded_as_a_digest_never_in_clear(coordinator_client):
    a = make_case(email="dana@clinic-mail.org")
    make_case(email="someone@example.org")
    before = AuditEvent.objects.count()
    response = coordinator_client.get("/admin/navigation/case/", {"q": "dana@clinic-mail.org"})
    assert response.status_code == 200
    row = only_new_row(before)
    assert "dana" not in row.query
    assert row.query == f"q=#{search_digest('dana@clinic-mail.org')}"
    assert shown(row) == {str(a.patient.public_id)}


def test_a_search_that_finds_nobody_is_recorded_too(coordinator_client):
    make_case()
    before = AuditEvent.objects.count()
    coordinator_client.get("/admin/navigation/case/", {"q": "nobody@example.org"})
    assert shown(only_new_row(before)) == set()


def test_the_patient_list_records_the_patients_shown(coordinator_client):
    a = make_case()
    before = AuditEvent.objects.count()
    assert coordinator_client.get("/admin/records/patient/").status_code == 200
    row = only_new_row(before)
    assert (row.target, shown(row)) == ("patient list", {str(a.patient.public_id)})


def test_the_document_list_records_whose_documents_were_shown(coordinator_client):
    a = make_case()
    make_document(a.patient)
    before = AuditEvent.objects.count()
    assert coordinator_client.get("/admin/records/document/").status_code == 200
    row = only_new_row(before)
    assert (row.target, shown(row)) == ("document list", {str(a.patient.public_id)})


def test_the_autocomplete_mapping_an_email_to_a_patient_is_audited(coordinator_client):
    a = make_case(email="dana@clinic-mail.org")
    before = AuditEvent.objects.count()
    response = coordinator_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "navigation",
            "model_name": "case",
            "field_name": "patient",
            "term": "dana@clinic-mail.org",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"]
    row = only_new_row(before)
    assert row.action == AuditEvent.Action.VIEW_LIST
    assert shown(row) == {str(a.patient.public_id)}
    assert "dana" not in row.query


def test_a_case_page_re_rendered_after_a_post_with_errors_is_audited(coordinator_client):
    case = make_case()
    before = AuditEvent.objects.count()
    response = coordinator_client.post(
        f"/admin/navigation/case/{case.pk}/change/", {"assignee": "999999"}
    )
    assert response.status_code == 200  # the page again, with the form's error
    row = only_new_row(before)
    assert (row.action, row.patient_ref) == (AuditEvent.Action.VIEW_CASE, case.patient.public_id)


def test_the_audit_address_is_the_clients_behind_a_trusted_proxy(coordinator_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    case = make_case()
    before = AuditEvent.objects.count()
    coordinator_client.get(
        f"/admin/navigation/case/{case.pk}/change/",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
        REMOTE_ADDR="10.0.0.5",
    )
    assert only_new_row(before).ip_address == "198.51.100.23"
