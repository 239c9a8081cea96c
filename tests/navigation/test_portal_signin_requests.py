"""Asking for a portal link: the request does the same work for every address, a task takes
only the request's key and mails a link when there is a case."""

import re

import pytest
import time_machine
from celery.signals import task_prerun
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from navigation import portal
from navigation.models import PortalSignInRequest, PortalToken
from navigation.privacy import case_erase
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


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_issues_a_link_only_for_a_known_address(live_worker, client):
    make_case(email="ana@example.org")
    client.post("/portal/signin/", {"email": "ana@example.org"})
    client.post("/portal/signin/", {"email": "nobody@example.org"})
    wait_for(lambda: not PortalSignInRequest.objects.filter(handled_at__isnull=True).exists())
    assert list(PortalToken.objects.values_list("email", flat=True)) == ["ana@example.org"]
    assert set(PortalSignInRequest.objects.values_list("email", flat=True)) == {""}
