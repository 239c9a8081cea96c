"""The audit trail against someone who can reach the database: the app's own role cannot
rewrite it, TRUNCATE is refused, and `verify_audit_chain` detects each tampering an owner
could still do (emptying the table, cutting its end with the trigger off, rewriting a row
and recomputing a plain SHA-256 chain) against the HMAC key and the anchors kept outside."""

import hashlib
import json
import os

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from records.audit import GENESIS_HASH, audit_anchors_read, audit_chain_verify
from records.models import AuditEvent
from records.services.audit import audit_chain_anchor, audit_record
from tests.conftest import service_missing
from tests.navigation.factories import make_case

pytestmark = pytest.mark.django_db


def trail(coordinator, n: int = 5) -> list[AuditEvent]:
    case = make_case()
    return [
        audit_record(
            actor=coordinator,
            actor_label=coordinator.username,
            action=AuditEvent.Action.VIEW_CASE,
            patient=case.patient,
            target=f"view {i}",
        )
        for i in range(n)
    ]


def as_owner(*statements: tuple[str, list]) -> None:
    """Straight to the table, as the tables' owner would: around every guard but the key."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No pending foreign-key checks may block TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql, params in statements:
            cursor.execute(sql, params)


def problems() -> list[str]:
    return [p.problem for p in audit_chain_verify()[1]]


def test_truncate_is_refused_by_the_database(postgres, coordinator):
    trail(coordinator, 2)
    with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
        as_owner(("TRUNCATE records_auditevent", []))
    assert AuditEvent.objects.count() == 2


def test_emptying_the_table_with_its_trigger_off_is_detected(postgres, coordinator):
    trail(coordinator, 3)
    audit_chain_anchor()
    as_owner(
        ("ALTER TABLE records_auditevent DISABLE TRIGGER records_auditevent_no_truncate", []),
        ("TRUNCATE records_auditevent", []),
        ("ALTER TABLE records_auditevent ENABLE TRIGGER records_auditevent_no_truncate", []),
    )
    assert AuditEvent.objects.count() == 0
    assert any("no longer in the database" in p for p in problems())
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit_chain")


def test_cutting_the_tail_with_the_trigger_off_is_detected(postgres, coordinator):
    events = trail(coordinator, 5)
    audit_chain_anchor()
    as_owner(
        ("ALTER TABLE records_auditevent DISABLE TRIGGER records_auditevent_append_only", []),
        ("DELETE FROM records_auditevent WHERE id >= %s", [events[3].pk]),
        ("ALTER TABLE records_auditevent ENABLE TRIGGER records_auditevent_append_only", []),
    )
    # What is left is a perfectly linked chain: only the anchor shows the cut.
    assert AuditEvent.objects.count() == 3
    assert problems() == [
        "anchored on " + audit_anchors_read()[0]["at"][:10] + " but no longer in the database "
        "(the table was emptied or its end cut off)"
    ]


def _plain_sha256(row: dict, prev_hash: str) -> str:
    """The chain as it used to be computed (unkeyed): what a tamperer can recompute."""
    canonical = json.dumps(
        {**row, "prev_hash": prev_hash}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_rewriting_a_row_and_recomputing_a_plain_sha256_chain_is_detected(coordinator):
    events = trail(coordinator, 4)
    statements = []
    if connection.vendor == "postgresql":
        statements.append(
            ("ALTER TABLE records_auditevent DISABLE TRIGGER records_auditevent_append_only", [])
        )
    prev = events[0].hash
    for event in events[1:]:
        label = "someone-else" if event.pk == events[1].pk else event.actor_label
        new_hash = _plain_sha256({"id": event.pk, "actor_label": label}, prev)
        statements.append(
            (
                "UPDATE records_auditevent SET actor_label = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                [label, prev, new_hash, event.pk],
            )
        )
        prev = new_hash
    as_owner(*statements)
    found = audit_chain_verify()[1]
    # Every recomputed row fails the keyed hash; the links between them look fine.
    assert [p.event_id for p in found] == [e.pk for e in events[1:]]
    assert {p.problem for p in found} == {"its contents were changed"}


def test_the_chain_is_keyed_a_plain_hash_of_a_row_does_not_verify(coordinator, settings):
    first = trail(coordinator, 1)[0]
    assert first.prev_hash == GENESIS_HASH
    assert audit_chain_verify() == (1, [])
    settings.AUDIT_CHAIN_KEY = "another-key-another-key-another-key"
    assert problems() == ["its contents were changed"]


def test_the_anchor_is_appended_daily_outside_the_database_and_mailed(coordinator, settings):
    settings.AUDIT_ANCHOR_EMAILS = ["auditor@example.org"]
    events = trail(coordinator, 2)
    first = audit_chain_anchor()
    events += trail(coordinator, 1)
    second = audit_chain_anchor()
    anchors = audit_anchors_read()
    assert [a["event_id"] for a in anchors] == [events[1].pk, events[2].pk]
    assert anchors == [first, second]
    assert [m.to for m in mail.outbox] == [["auditor@example.org"]] * 2
    assert audit_chain_verify() == (3, [])
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "records.anchor_audit_chain" in beat


def test_an_altered_anchor_line_is_reported(coordinator):
    trail(coordinator, 1)
    audit_chain_anchor()
    path = settings.AUDIT_ANCHOR_PATH
    path.write_text(path.read_text().replace('"count": 1', '"count": 9'))
    assert problems() == ["an anchor line was altered (its MAC is wrong)"]


def _app_role_connection():
    url = os.environ.get("DATABASE_APP_URL")
    if not url:
        service_missing("no app role configured (DATABASE_APP_URL, from .ci/services.sh)")
    test_db = connection.settings_dict["NAME"]
    return psycopg.connect(url.rsplit("/", 1)[0] + "/" + test_db, autocommit=True)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE records_auditevent SET target = 'x'",
        "DELETE FROM records_auditevent",
        "TRUNCATE records_auditevent",
        "ALTER TABLE records_auditevent DISABLE TRIGGER USER",
        "DROP TABLE records_auditevent",
    ],
)
def test_the_apps_database_role_cannot_rewrite_the_audit_trail(postgres, statement):
    with _app_role_connection() as app, app.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_auditevent")  # it may read
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cursor.execute(statement)


def test_the_apps_database_role_can_append_and_use_the_other_tables(postgres):
    with _app_role_connection() as app, app.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(current_user, 'records_auditevent', 'INSERT')")
        assert cursor.fetchone()[0] is True
        cursor.execute("SELECT has_table_privilege(current_user, 'navigation_case', 'UPDATE')")
        assert cursor.fetchone()[0] is True
        cursor.execute(
            "SELECT tableowner <> current_user FROM pg_tables WHERE tablename = %s",
            ["records_auditevent"],
        )
        assert cursor.fetchone()[0] is True
