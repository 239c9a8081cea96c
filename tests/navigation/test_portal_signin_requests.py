"""Asking for a portal link: the request does the same work for every address, a task takes
only the request's key and mails a link when there is a case, and old rows are purged."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from celery.signals import task_prerun
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancerfax.celery import app as celery_app
from navigation.models import PortalSignInRequest, PortalToken
from navigation.services import portal
from navigation.services.privacy import case_erase
from tests.conftest import wait_for
from tests.navigation.test_portal_signin import make_case

pytestmark = pytest.mark.django_db


def _post(client, email: str, capture):
    """Post the form; return the SQL it ran and the work it left for after commit."""
    with CaptureQueriesContext(connection) as queries, capture(execute=False) as callbacks:
        response = client.post("/portal/signin/", {"email": email})
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries], callbacks


def _shape(sql: list[str], email: str) -> list[str]:
    """The statements with the address and the savepoint names taken out."""
    return [re.sub(r'"s\d+_x\d+"', "<savepoint>", s.replace(email, "<email>")) for s in sql]


def test_known_and_unknown_addresses_cost_the_request_the_same_work(
    client, django_capture_on_commit_callbacks
):
    make_case(email="ana@example.org")
    capture = django_capture_on_commit_callbacks
    # A stopped clock, so the two rows' timestamps are equal too.
    with time_machine.travel(timezone.now(), tick=False):
        known_sql, known_work = _post(client, "ana@example.org", capture)
        unknown_sql, unknown_work = _post(client, "nobody@example.org", capture)
    # The same statements, in the same order, differing only in the address.
    shapes = _shape(known_sql, "ana@example.org"), _shape(unknown_sql, "nobody@example.org")
    assert shapes[0] == shapes[1]
    assert not any("navigation_case" in sql for sql in known_sql)
    assert len(known_work) == len(unknown_work) == 1
    # Nothing is mailed or issued inside the request.
    assert mail.outbox == []
    assert not PortalToken.objects.exists()
    assert PortalSignInRequest.objects.count() == 2


def test_the_task_gets_only_the_request_key(client, django_capture_on_commit_callbacks):
    make_case(email="ana@example.org")
    seen: list[tuple] = []

    def record(sender=None, args=None, kwargs=None, **_extra) -> None:
        seen.append((sender.name, args, kwargs))

    task_prerun.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/portal/signin/", {"email": "ana@example.org"})
    finally:
        task_prerun.disconnect(record)
    row = PortalSignInRequest.objects.get()
    assert seen == [("navigation.send_portal_signin_link", [row.pk], {})]
    assert "ana@example.org" not in repr(seen)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]


def test_the_task_mails_a_link_only_for_an_address_with_a_case():
    make_case(email="ana@example.org")
    known = PortalSignInRequest.objects.create(email="ana@example.org")
    unknown = PortalSignInRequest.objects.create(email="nobody@example.org")
    assert portal.portal_signin_request_handle(request_id=known.pk) is True
    assert portal.portal_signin_request_handle(request_id=unknown.pk) is False
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert list(PortalToken.objects.values_list("email", flat=True)) == ["ana@example.org"]


def test_a_handled_request_keeps_no_address_and_a_second_run_mails_nothing():
    make_case(email="ana@example.org")
    row = PortalSignInRequest.objects.create(email="ana@example.org")
    assert portal.portal_signin_request_handle(request_id=row.pk)
    assert not portal.portal_signin_request_handle(request_id=row.pk)
    row.refresh_from_db()
    assert row.email == "" and row.handled_at is not None
    assert len(mail.outbox) == 1
    assert PortalToken.objects.count() == 1


def test_a_request_that_is_gone_is_ignored():
    assert portal.portal_signin_request_handle(request_id=987654) is False


def test_an_erasure_takes_waiting_requests_for_the_address(coordinator):
    case = make_case(email="ana@example.org")
    PortalSignInRequest.objects.create(email="ana@example.org")
    other = PortalSignInRequest.objects.create(email="ben@example.org")
    case_erase(case_id=case.pk, confirmed_by=coordinator)
    assert list(PortalSignInRequest.objects.all()) == [other]


# --- housekeeping ----------------------------------------------------------------------


def _token(email: str, *, used: bool = False, lifetime=portal.LINK_LIFETIME) -> PortalToken:
    token = portal.portal_link_issue(email=email)
    raw = portal._signer.unsign(token)
    row = PortalToken.objects.get(token_hash=portal._token_hash(raw))
    row.expires_at = row.created_at + lifetime
    row.used_at = row.created_at if used else None
    row.save()
    return row


def test_the_purge_deletes_spent_and_expired_links_and_requests_older_than_a_day():
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=2), tick=False):
        _token("a@example.org", used=True)
        _token("b@example.org")
        # Made long-lived by hand: an old link that still works is not touched.
        old_alive = _token("c@example.org", lifetime=timedelta(days=3))
        PortalSignInRequest.objects.create(email="d@example.org")
    with time_machine.travel(start - timedelta(hours=2), tick=False):
        recent_used = _token("e@example.org", used=True)
        recent_request = PortalSignInRequest.objects.create(email="")
    fresh = _token("f@example.org")

    assert portal.portal_links_purge(now=start) == 3

    assert set(PortalToken.objects.values_list("pk", flat=True)) == {
        old_alive.pk,
        recent_used.pk,
        fresh.pk,
    }
    assert list(PortalSignInRequest.objects.all()) == [recent_request]
    assert portal.portal_links_purge(now=start) == 0


def test_the_purge_runs_from_the_beat_schedule():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if "portal" in e["task"]]
    assert [e["task"] for e in entries] == ["navigation.purge_portal_links"]
    assert entries[0]["task"] in celery_app.tasks
    assert entries[0]["schedule"] <= 86400


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_issues_a_link_only_for_a_known_address(live_worker, client):
    # The worker's cache outlives each test's database: an address another test already had
    # mailed this interval would rightly get no second link. So this one is new each run.
    known = f"ana.{uuid.uuid4().hex[:12]}@example.org"
    make_case(email=known)
    client.post("/portal/signin/", {"email": known})
    client.post("/portal/signin/", {"email": "nobody@example.org"})
    wait_for(lambda: not PortalSignInRequest.objects.filter(handled_at__isnull=True).exists())
    assert list(PortalToken.objects.values_list("email", flat=True)) == [known]
    assert set(PortalSignInRequest.objects.values_list("email", flat=True)) == {""}
