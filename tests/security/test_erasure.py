"""Erasure: once a coordinator confirms a patient's request, nothing of them is left in the
database or in storage; the audit trail stays, naming no one."""

import pytest
from django.core.files.storage import storages

from navigation.models import Case, Outbox
from navigation.services.privacy import ErasureNotAllowed, case_erase
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
    from navigation.services.review import case_review_open
    from tests.navigation.factories import make_case

    case = make_case()
    case_erase(case_id=case.pk, confirmed_by=coordinator)
    assert case_review_open(case_id=case.pk) is None


def _session_with(data: dict, *, expired: bool) -> str:
    from datetime import timedelta

    from django.utils import timezone

    from cancerfax.session_store import SessionStore

    store = SessionStore()
    store.update(data)
    store.create()
    if expired:
        from cancerfax.models import UserSession

        UserSession.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - timedelta(days=3)
        )
    return store.session_key


@pytest.mark.django_db
def test_erasure_removes_every_session_holding_the_patient_expired_or_not(coordinator):
    from cancerfax.models import UserSession
    from navigation.sessions import RECEIVED_SESSION_KEY, SESSION_EMAIL, SESSION_PATIENTS
    from tests.navigation.factories import make_case

    case = make_case(email="erase.me@example.org")
    other = make_case(email="keep.me@example.org")
    theirs = [
        _session_with({SESSION_EMAIL: "erase.me@example.org"}, expired=True),
        _session_with({SESSION_EMAIL: "erase.me@example.org"}, expired=False),
        _session_with({SESSION_PATIENTS: [case.patient.pk]}, expired=True),
        _session_with({RECEIVED_SESSION_KEY: case.reference}, expired=True),
    ]
    kept = _session_with(
        {SESSION_EMAIL: "keep.me@example.org", SESSION_PATIENTS: [other.patient.pk]},
        expired=True,
    )

    assert case_erase(case_id=case.pk, confirmed_by=coordinator)

    assert not UserSession.objects.filter(session_key__in=theirs).exists()
    assert UserSession.objects.filter(session_key=kept).exists()


@pytest.mark.django_db
def test_expired_sessions_are_cleared_on_a_schedule():
    from django.conf import settings

    from cancerfax.models import UserSession
    from cancerfax.tasks import clear_expired_sessions

    tasks = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert clear_expired_sessions.name in tasks
    expired = _session_with({"x": 1}, expired=True)
    live = _session_with({"x": 1}, expired=False)
    clear_expired_sessions.delay()
    assert not UserSession.objects.filter(session_key=expired).exists()
    assert UserSession.objects.filter(session_key=live).exists()
