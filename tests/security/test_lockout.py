"""Brute force: django-axes locks a username + address pair; the cache caps each address."""

import re

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.security.helpers import admin_sign_in, current_code


def _normalised(content: bytes) -> bytes:
    """The page without what differs on every response anyway (CSP nonce, CSRF token)."""
    return re.sub(rb'(nonce|value)="[^"]*"', rb'\1=""', content)


def _fail(client, username: str, times: int, ip: str = "192.0.2.10"):
    response = None
    for _ in range(times):
        response = admin_sign_in(client, username, password="not-the-password", ip=ip)
    return response


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_from_that_address(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    assert _fail(client, coordinator.username, 4).status_code == 200
    assert _fail(client, coordinator.username, 1).status_code == 429
    # Even the right password and code are refused while locked.
    response = admin_sign_in(
        client, coordinator.username, token=current_code(device), device=device
    )
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_locked_known_account_and_an_unknown_one_get_the_same_answer(client, coordinator):
    known = _fail(client, coordinator.username, 6)
    unknown = _fail(client, "nobody-by-this-name", 6)
    assert known.status_code == unknown.status_code == 429
    assert _normalised(known.content) == _normalised(unknown.content)
    assert coordinator.username.encode() not in known.content


@pytest.mark.django_db
def test_wrong_passwords_for_known_and_unknown_accounts_read_the_same(client, coordinator):
    known = _fail(client, coordinator.username, 1)
    unknown = _fail(client, "nobody-by-this-name", 1)
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


@pytest.mark.django_db
def test_the_lock_holds_only_for_that_address(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    _fail(client, coordinator.username, 5, ip="192.0.2.10")
    response = admin_sign_in(
        client, coordinator.username, token=current_code(device), device=device, ip="198.51.100.7"
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    _fail(client, coordinator.username, 5)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=16), tick=False):
        response = admin_sign_in(
            client, coordinator.username, token=current_code(device), device=device
        )
    assert response.status_code == 302


@pytest.mark.django_db
@time_machine.travel("2026-03-02 09:00:05+00:00", tick=False)  # all inside one window
def test_the_sign_in_form_has_a_per_address_ceiling(client, settings):
    settings.ADMIN_LOGIN_RATE_LIMIT = 3
    # Different usernames, so only the address ceiling can stop them.
    answers = [
        admin_sign_in(client, f"user{n}", password="wrong", ip="203.0.113.5").status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 200, 429, 429]
    # Another address is not affected.
    assert admin_sign_in(client, "user9", password="wrong", ip="203.0.113.6").status_code == 200
