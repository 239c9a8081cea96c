import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from records.audit import GENESIS_HASH, audit_chain_verify
from records.models import AuditEvent, AuditTrailIsAppendOnly
from records.services.audit import audit_record


def record(patient, user=None, action=AuditEvent.Action.VIEW_RECORDS, target="case:1"):
    return audit_record(
        actor=user,
        actor_label=user.username if user else "system",
        action=action,
        patient=patient,
        target=target,
    )


def test_events_form_a_chain_from_the_genesis_hash(patient, coordinator):
    first = record(patient, coordinator)
    second = record(patient, coordinator, AuditEvent.Action.DOWNLOAD_DOCUMENT)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert audit_chain_verify() == (2, [])
    call_command("verify_audit_chain")


def test_verification_finds_a_changed_row(patient, coordinator):
    events = [record(patient, coordinator, target=f"case:{n}") for n in range(4)]
    # Tampering goes around every guard on purpose: straight to the table.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE records_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE records_auditevent SET actor_label = %s WHERE id = %s",
            ["someone-else", events[1].pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE records_auditevent ENABLE TRIGGER USER")
    count, problems = audit_chain_verify()
    assert count == 4
    assert [(p.event_id, p.problem) for p in problems] == [
        (events[1].pk, "its contents were changed")
    ]
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit_chain")


def test_verification_finds_a_removed_row(patient, coordinator):
    events = [record(patient, coordinator, target=f"case:{n}") for n in range(3)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE records_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM records_auditevent WHERE id = %s", [events[1].pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE records_auditevent ENABLE TRIGGER USER")
    _count, problems = audit_chain_verify()
    assert [p.event_id for p in problems] == [events[2].pk]


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(patient, coordinator):
    event = record(patient, coordinator)
    event.target = "case:999"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(target="x")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().target == "case:1"


def test_postgresql_itself_refuses_updates_and_deletes(postgres, patient, coordinator):
    event = record(patient, coordinator)
    for sql in (
        "UPDATE records_auditevent SET target = 'x' WHERE id = %s",
        "DELETE FROM records_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert audit_chain_verify() == (1, [])


def test_the_chain_cannot_fork(patient, coordinator):
    from django.db import IntegrityError

    first = record(patient, coordinator)
    twin = AuditEvent(
        at=first.at,
        actor_label="x",
        action="view_case",
        patient_ref=patient.public_id,
        prev_hash=GENESIS_HASH,
        hash="f" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
