"""Signing in to the portal by emailed link: signed, expiring, single-use, rate limited,
and the same answer whether or not we know the address."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from navigation.models import Case, PortalToken
from navigation.services import portal
from navigation.sessions import SESSION_EMAIL
from records.models import Patient, Relationship

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"https?://[^\s]+(/portal/signin/[^\s/]+/)")


def make_case(email: str = "ana@example.org", name: str = "Ana Patient") -> Case:
    patient = Patient.objects.create(
        full_name=name,
        date_of_birth=date(1960, 5, 1),
        relationship=Relationship.SELF,
        email=email,
        phone="+441234567890",
        country="United Kingdom",
    )
    return Case.objects.create(patient=patient)


def link_path_from_outbox(index: int = -1) -> str:
    match = LINK_RE.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return match.group(1)


def ask_for_link(client, email: str, address: str = "127.0.0.1"):
    """Post the sign-in form. The link is mailed by a task queued after commit, as in
    production; the test's transaction never commits, so its callbacks are run here."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("navigation:portal_signin"), {"email": email}, REMOTE_ADDR=address
        )


def sign_in(client, email: str) -> None:
    """Ask for a link, then follow it the way the patient does."""
    ask_for_link(client, email)
    client.post(link_path_from_outbox())


def test_an_anonymous_visitor_gets_the_sign_in_form(client):
    response = client.get("/portal/")
    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert b"sign-in link" in response.content


def test_a_known_address_gets_a_link_by_email(client):
    make_case(email="ana@example.org")
    response = ask_for_link(client, "Ana@Example.org ")
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]
    assert link_path_from_outbox()


def test_the_answer_is_the_same_for_an_unknown_address(client):
    make_case(email="ana@example.org")
    known = ask_for_link(client, "ana@example.org")
    unknown = ask_for_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert _strip_tokens(known.content) == _strip_tokens(unknown.content)
    assert len(mail.outbox) == 1
    assert PortalToken.objects.count() == 1


def _strip_tokens(html: bytes) -> bytes:
    return re.sub(rb'(nonce|value)="[^"]*"', b"", html)


def test_a_malformed_address_is_refused_with_a_message(client):
    response = ask_for_link(client, "not an address")
    assert response.status_code == 400
    assert b"valid email" in response.content
    assert mail.outbox == []


def test_only_the_token_hash_is_stored(client):
    make_case(email="ana@example.org")
    ask_for_link(client, "ana@example.org")
    path = link_path_from_outbox()
    token = PortalToken.objects.get()
    assert token.token_hash not in path
    assert len(token.token_hash) == 64


def test_the_link_signs_the_patient_in_and_rotates_the_session(client):
    case = make_case(email="ana@example.org")
    client.get("/portal/")
    client.session.save()
    before = client.session.session_key
    ask_for_link(client, "ana@example.org")
    path = link_path_from_outbox()
    # Opening the link (as a mail scanner would) does not spend it.
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert client.session.session_key != before
    page = client.get("/portal/")
    assert case.reference.encode() in page.content


def test_a_link_works_only_once(client):
    make_case(email="ana@example.org")
    ask_for_link(client, "ana@example.org")
    path = link_path_from_outbox()
    assert client.post(path).status_code == 302
    client.post("/portal/signout/")
    again = client.post(path)
    assert again.status_code == 400
    assert b"no longer works" in again.content
    assert SESSION_EMAIL not in client.session


def test_a_used_link_is_shown_as_no_longer_working(client):
    make_case(email="ana@example.org")
    ask_for_link(client, "ana@example.org")
    path = link_path_from_outbox()
    client.post(path)
    assert client.get(path).status_code == 400


def test_a_link_expires_after_thirty_minutes(client):
    make_case(email="ana@example.org")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_for_link(client, "ana@example.org")
        path = link_path_from_outbox()
        traveller.shift(portal.LINK_LIFETIME + timedelta(seconds=1))
        response = client.post(path)
    assert response.status_code == 400
    assert SESSION_EMAIL not in client.session
    assert PortalToken.objects.get().used_at is None


def test_a_link_still_works_just_before_it_expires(client):
    make_case(email="ana@example.org")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_for_link(client, "ana@example.org")
        path = link_path_from_outbox()
        traveller.shift(portal.LINK_LIFETIME - timedelta(seconds=5))
        assert client.post(path).status_code == 302


def test_a_tampered_link_is_refused(client):
    make_case(email="ana@example.org")
    ask_for_link(client, "ana@example.org")
    path = link_path_from_outbox()
    token = path.rstrip("/").rsplit("/", 1)[1]
    raw, _sep, signature = token.partition(":")
    forged = [
        f"/portal/signin/{raw[:-1]}{'A' if raw[-1] != 'A' else 'B'}:{signature}/",
        f"/portal/signin/{raw}/",
        f"/portal/signin/{raw}:{signature[:-2]}/",
    ]
    for bad in forged:
        assert client.post(bad).status_code == 400, bad
    assert SESSION_EMAIL not in client.session
    # The genuine link was not spent by the forgeries.
    assert client.post(path).status_code == 302


def test_a_signed_token_that_was_never_issued_is_refused(client):
    make_case(email="ana@example.org")
    forged = portal._signer.sign("made-up-token")
    assert client.post(reverse("navigation:portal_link", args=[forged])).status_code == 400


def test_an_address_is_never_refused_and_mailed_once_per_interval(client, settings):
    make_case(email="ana@example.org")
    # More requests than the per-client budget, from many places: none is refused.
    for n in range(settings.PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT + 5):
        answer = ask_for_link(client, "ANA@example.org", address=f"203.0.113.{n}")
        assert answer.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.org"]


def test_requests_from_one_client_are_rate_limited_across_addresses(client, settings):
    for n in range(settings.PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT):
        client.post("/portal/signin/", {"email": f"probe{n}@example.org"})
    assert ask_for_link(client, "other@example.org").status_code == 429


def test_the_address_gets_another_mail_after_the_interval(client, settings):
    make_case(email="ana@example.org")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_for_link(client, "ana@example.org")
        ask_for_link(client, "ana@example.org")
        assert len(mail.outbox) == 1
        traveller.shift(timedelta(seconds=settings.PORTAL_SIGNIN_MAIL_INTERVAL_SECONDS + 1))
        cache.clear()  # locmem ignores the travelling clock; Redis would have expired the key
        ask_for_link(client, "ana@example.org")
    assert len(mail.outbox) == 2


def test_signing_out_flushes_the_session(client):
    make_case(email="ana@example.org")
    sign_in(client, "ana@example.org")
    assert client.session.get(SESSION_EMAIL) == "ana@example.org"
    response = client.post("/portal/signout/")
    assert response.status_code == 302
    assert SESSION_EMAIL not in client.session
    assert b'name="email"' in client.get("/portal/").content


def test_two_racing_redemptions_spend_the_link_once(client):
    make_case(email="ana@example.org")
    token = portal.portal_link_issue(email="ana@example.org")
    assert portal.portal_link_redeem(token=token).email == "ana@example.org"
    assert portal.portal_link_redeem(token=token) is None
