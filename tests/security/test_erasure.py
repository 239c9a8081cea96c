"""Erasure: once a coordinator confirms a patient's request, nothing of them is left in the
database or in storage; the audit trail stays, naming no one."""

import pytest
from django.core.files.storage import storages

from navigation.models import Case, Outbox
from navigation.privacy import ErasureNotAllowed, case_erase
from records.audit import audit_chain_verify
from records.models import AuditEvent
from tests.security import canary


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_erasure_leaves_nothing_of_the_patient(
    coordinator, django_capture_on_commit_callbacks
):
    case = canary.journey(coordinator, django_capture_on_commit_callbacks)
    patient_ref = case.patient.public_id
    stored = [d.storage_name for d in case.patient.documents.all()]
    stored.append(case.summary.storage_name)
    # The journey left the canary all over the place: otherwise this test proves nothing.
    assert canary.database_hits() and canary.storage_hits()
    audit_rows = AuditEvent.objects.filter(patient_ref=patient_ref).count()
    assert audit_rows >= 3

    assert case_erase(case_id=case.pk, confirmed_by=coordinator)

    assert canary.database_hits() == []
    assert canary.session_hits() == []
    assert canary.storage_hits() == []
    assert not any(storages["private"].exists(name) for name in stored)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Outbox.objects.filter(case_id=case.pk).exists()  # no queued work left
    # The trail of who looked stays, intact, and names the patient by a random id only.
    assert AuditEvent.objects.filter(patient_ref=patient_ref).count() == audit_rows
    assert audit_chain_verify()[1] == []


@pytest.mark.django_db
def test_a_content_editor_cannot_confirm_an_erasure(editor):
    from tests.navigation.factories import make_case

    case = make_case()
    with pytest.raises(ErasureNotAllowed):
        case_erase(case_id=case.pk, confirmed_by=editor)
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.django_db
def test_erasing_twice_is_harmless(coordinator):
    from tests.navigation.factories import make_case

    case = make_case()
    assert case_erase(case_id=case.pk, confirmed_by=coordinator)
    assert not case_erase(case_id=case.pk, confirmed_by=coordinator)


@pytest.mark.django_db
def test_a_queued_review_for_an_erased_case_does_nothing(coordinator):
    from navigation.review import case_review_open
    from tests.navigation.factories import make_case

    case = make_case()
    case_erase(case_id=case.pk, confirmed_by=coordinator)
    assert case_review_open(case_id=case.pk) is None
