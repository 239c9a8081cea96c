"""Retention purge, the stored-file re-check, and the append-only audit trail."""

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from navigation.models import Case, CaseEvent, CaseStatus
from navigation.services.privacy import cases_purge_expired
from records.models import AuditEvent, AuditTrailIsAppendOnly
from records.services.audit import audit_record
from records.services.integrity import stored_files_verify
from tests.navigation.factories import make_case, make_document


def _closed_case(status: str, days_ago: int) -> Case:
    case = make_case()
    when = timezone.now() - timezone.timedelta(days=days_ago)
    Case.objects.filter(pk=case.pk).update(status=status, updated_at=when)
    CaseEvent.objects.create(case=case, at=when, to_status=status, note="closed")
    return case


@pytest.mark.django_db
def test_closed_cases_past_the_retention_period_are_purged(settings):
    settings.RETENTION_DAYS = 365
    old_done = _closed_case(CaseStatus.COMPLETED, 400)
    old_withdrawn = _closed_case(CaseStatus.WITHDRAWN, 366)
    recent_done = _closed_case(CaseStatus.COMPLETED, 100)
    old_open = make_case()
    Case.objects.filter(pk=old_open.pk).update(
        updated_at=timezone.now() - timezone.timedelta(days=900)
    )

    assert cases_purge_expired() == 2

    remaining = set(Case.objects.values_list("pk", flat=True))
    assert old_done.pk not in remaining and old_withdrawn.pk not in remaining
    assert {recent_done.pk, old_open.pk} <= remaining


@pytest.mark.django_db
def test_a_recent_event_keeps_a_closed_case(settings):
    settings.RETENTION_DAYS = 365
    case = _closed_case(CaseStatus.NOT_SUITABLE, 500)
    CaseEvent.objects.create(case=case, at=timezone.now(), note="patient wrote again")
    assert cases_purge_expired() == 0


@pytest.mark.django_db
def test_the_daily_check_finds_a_changed_and_a_missing_file(coordinator):
    case = make_case()
    intact = make_document(case.patient)
    changed = make_document(case.patient)
    missing = make_document(case.patient)
    storage = storages["private"]
    storage.delete(changed.storage_name)
    storage.save(changed.storage_name, ContentFile(b"%PDF-1.4\n% altered afterwards\n"))
    storage.delete(missing.storage_name)

    failed = stored_files_verify()

    assert sorted(failed) == sorted([changed.pk, missing.pk])
    assert intact.pk not in failed
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert case.patient.full_name not in message.body


@pytest.mark.django_db
def test_a_changed_file_is_refused_at_download(coordinator_client):
    case = make_case()
    document = make_document(case.patient)
    storage = storages["private"]
    storage.delete(document.storage_name)
    storage.save(document.storage_name, ContentFile(b"%PDF-1.4\n% swapped\n"))
    response = coordinator_client.get(
        f"/admin/navigation/case/{case.pk}/documents/{document.public_id}/"
    )
    assert response.status_code != 200
    assert not getattr(response, "streaming", False)


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE records_auditevent SET actor_label = 'someone else'",
        "DELETE FROM records_auditevent",
        "TRUNCATE records_auditevent",
    ],
)
def test_the_application_cannot_rewrite_the_audit_trail(postgres, coordinator, statement):
    case = make_case()
    audit_record(
        actor=coordinator,
        actor_label=coordinator.username,
        action=AuditEvent.Action.VIEW_CASE,
        patient=case.patient,
        target=case.reference,
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(actor_label=coordinator.username).count() == 1


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_orm_cannot_delete_or_update_audit_rows(postgres, coordinator):
    case = make_case()
    event = audit_record(
        actor=coordinator,
        actor_label="coordinator",
        action=AuditEvent.Action.VIEW_CASE,
        patient=case.patient,
    )
    refused = (DatabaseError, AuditTrailIsAppendOnly)
    with pytest.raises(refused), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(target="changed")
    with pytest.raises(refused), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    # Below the ORM, the database itself refuses (the trigger), even for a bulk write.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE records_auditevent SET target = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).target == ""


@pytest.mark.django_db
def test_verify_audit_chain_passes_on_a_trail_written_by_real_views(coordinator_client, capsys):
    case = make_case()
    document = make_document(case.patient)
    coordinator_client.get(f"/admin/navigation/case/{case.pk}/change/")
    coordinator_client.get(f"/admin/navigation/case/{case.pk}/documents/{document.public_id}/")
    assert AuditEvent.objects.count() >= 2
    call_command("verify_audit_chain")
    assert "intact" in capsys.readouterr().out


@pytest.mark.django_db
def test_erase_case_command_needs_a_coordinator(coordinator, editor):
    from django.core.management.base import CommandError

    case = make_case()
    with pytest.raises(CommandError):
        call_command("erase_case", case.reference, "--by", editor.username)
    call_command("erase_case", case.reference, "--by", coordinator.username)
    assert not Case.objects.filter(pk=case.pk).exists()
