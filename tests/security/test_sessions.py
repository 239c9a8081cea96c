"""Sessions: a new key at sign-in, staff idle and absolute limits, sign-out and deactivation
end the session on the server."""

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cancerfax.models import UserSession
from tests.conftest import staff_client
from tests.security.helpers import admin_sign_in, current_code


def _session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db
def test_signing_in_issues_a_new_session_key(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    client.get("/admin/login/")
    session = client.session
    session["before"] = "anonymous visit"
    session.save()
    before = _session_key(client)

    admin_sign_in(client, coordinator.username, token=current_code(device), device=device)

    after = _session_key(client)
    assert after != before
    assert not UserSession.objects.filter(session_key=before).exists()
    assert UserSession.objects.get(session_key=after).user_id == coordinator.pk


@pytest.mark.django_db
def test_signing_out_deletes_the_session_on_the_server(coordinator_client, coordinator):
    key = _session_key(coordinator_client)
    assert coordinator_client.get("/admin/").status_code == 200
    coordinator_client.post("/admin/logout/")
    assert not UserSession.objects.filter(session_key=key).exists()
    # Replaying the old cookie gets nowhere.
    coordinator_client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert coordinator_client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_staff_session_ends_after_fifteen_idle_minutes(client, coordinator):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff_client(client, coordinator)
        key = _session_key(client)
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=14), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=28), tick=False):
        assert client.get("/admin/").status_code == 200  # activity at 14 min kept it alive
    with time_machine.travel(start + timezone.timedelta(minutes=44), tick=False):
        assert client.get("/admin/").status_code == 302
    assert not UserSession.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_a_busy_staff_session_still_ends_at_the_absolute_limit(client, coordinator):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff_client(client, coordinator)
    minutes = 0
    limit = settings.STAFF_SESSION_MAX_SECONDS // 60
    while minutes + 10 < limit:
        minutes += 10
        with time_machine.travel(start + timezone.timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=limit + 1), tick=False):
        assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_deactivating_a_user_ends_all_their_sessions(client, coordinator, superuser):
    from django.test import Client

    staff_client(client, coordinator)
    other_device = staff_client(Client(), coordinator)
    someone_else = staff_client(Client(), superuser)
    assert UserSession.objects.filter(user_id=coordinator.pk).count() == 2

    coordinator.is_active = False
    coordinator.save()

    assert not UserSession.objects.filter(user_id=coordinator.pk).exists()
    assert client.get("/admin/").status_code == 302
    assert other_device.get("/admin/").status_code == 302
    assert someone_else.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_deactivating_through_the_admin_ends_the_sessions(superuser_client, coordinator):
    from django.test import Client

    coordinator_browser = staff_client(Client(), coordinator)
    response = superuser_client.post(
        f"/admin/auth/user/{coordinator.pk}/change/",
        {
            "username": coordinator.username,
            "email": coordinator.email,
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "groups": list(coordinator.groups.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    coordinator.refresh_from_db()
    assert not coordinator.is_active
    assert coordinator_browser.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_no_session_row(client):
    client.get("/")
    assert UserSession.objects.count() == 0


@pytest.mark.django_db
def test_a_portal_session_ends_after_thirty_idle_minutes():
    from tests.navigation.factories import make_case
    from tests.security.world import patient_client

    case = make_case(email="idle.patient@example.org")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = patient_client("idle.patient@example.org")
        assert client.get(f"/portal/cases/{case.reference}/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=25), tick=False):
        assert client.get(f"/portal/cases/{case.reference}/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=60), tick=False):
        assert client.get(f"/portal/cases/{case.reference}/").status_code == 302


@pytest.mark.django_db
def test_a_busy_portal_session_still_ends_at_its_absolute_limit():
    from tests.navigation.factories import make_case
    from tests.security.world import patient_client

    case = make_case(email="busy.patient@example.org")
    url = f"/portal/cases/{case.reference}/"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = patient_client("busy.patient@example.org")
    limit = settings.PORTAL_SESSION_MAX_SECONDS // 60
    for minutes in range(20, limit, 20):
        with time_machine.travel(start + timezone.timedelta(minutes=minutes), tick=False):
            assert client.get(url).status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=limit + 1), tick=False):
        assert client.get(url).status_code == 302
