"""The admin needs a password AND a verified second factor, on every page."""

import pytest
from django.contrib.admin import site
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cancerfax.admin_site import CancerfaxAdminSite
from tests.conftest import STAFF_PASSWORD
from tests.security.helpers import LOGIN_URL, admin_sign_in, current_code

MODEL_PAGE = "/admin/auth/group/"


def test_the_default_admin_site_is_the_two_factor_site():
    assert isinstance(site, CancerfaxAdminSite)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", MODEL_PAGE, "/admin/auth/group/add/"])
def test_a_password_only_session_is_sent_to_sign_in(client, superuser, path):
    client.force_login(superuser)  # password checked, no device verified
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", MODEL_PAGE])
def test_a_verified_session_reaches_the_admin(superuser_client, path):
    assert superuser_client.get(path).status_code == 200


@pytest.mark.django_db
def test_a_correct_password_without_a_code_does_not_sign_in(client, superuser):
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    response = admin_sign_in(client, superuser.username, token="")
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_wrong_code_does_not_sign_in(client, superuser):
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    wrong = str((int(current_code(device)) + 1) % 10**6).zfill(6)
    admin_sign_in(client, superuser.username, token=wrong, device=device)
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_password_and_current_code_sign_in(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    response = admin_sign_in(
        client, coordinator.username, token=current_code(device), device=device
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_an_unconfirmed_device_does_not_count(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=False)
    admin_sign_in(client, coordinator.username, token=current_code(device), device=device)
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_backup_code_works_once(client, coordinator):
    static = StaticDevice.objects.create(user=coordinator, name="backup", confirmed=True)
    static.token_set.create(token="backup123")
    admin_sign_in(client, coordinator.username, token="backup123", device=static)
    assert client.get("/admin/").status_code == 200
    client.logout()
    admin_sign_in(client, coordinator.username, token="backup123", device=static)
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_enrol_command_creates_a_device_and_prints_its_uri(coordinator, capsys, tmp_path):
    svg = tmp_path / "qr.svg"
    call_command("enrol_totp", coordinator.username, "--backup-codes", "3", "--svg", str(svg))
    out = capsys.readouterr().out
    device = TOTPDevice.objects.get(user=coordinator)
    assert device.confirmed
    assert device.config_url in out
    assert out.count("otpauth://totp/") == 1
    assert svg.read_text().startswith("<?xml") or "<svg" in svg.read_text()
    assert StaticDevice.objects.get(user=coordinator).token_set.count() == 3


@pytest.mark.django_db
def test_enrol_command_refuses_a_non_staff_account(django_user_model):
    from django.core.management.base import CommandError

    django_user_model.objects.create_user("visitor", password="x" * 20)
    with pytest.raises(CommandError, match="not staff"):
        call_command("enrol_totp", "visitor", "--no-qr")


# --- one step: username, password and code sent once, no device to pick ------------------


@pytest.mark.django_db
def test_the_first_sign_in_with_password_and_code_needs_no_device_choice(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    response = admin_sign_in(client, coordinator.username, token=current_code(device))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_sign_in_page_asks_for_the_code_on_the_first_screen(client):
    html = client.get(LOGIN_URL).content.decode()
    assert 'name="otp_token"' in html
    assert 'name="otp_device"' not in html  # nothing to choose before anyone is known


@pytest.mark.django_db
def test_a_wrong_code_says_the_code_is_wrong(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    wrong = str((int(current_code(device)) + 1) % 10**6).zfill(6)
    html = admin_sign_in(client, coordinator.username, token=wrong).content.decode()
    assert "That code is wrong or has expired" in html
    assert "select a device" not in html.lower()
    assert f'value="{wrong}"' not in html  # the field starts empty for the next code


@pytest.mark.django_db
def test_the_password_is_never_rendered_back(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    wrong = str((int(current_code(device)) + 1) % 10**6).zfill(6)
    for token in (wrong, "", "not-a-backup-code"):
        html = admin_sign_in(client, coordinator.username, token=token).content.decode()
        assert STAFF_PASSWORD not in html


@pytest.mark.django_db
def test_a_backup_code_works_without_choosing_a_device(client, coordinator):
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=coordinator, name="backup", confirmed=True)
    static.token_set.create(token="backup123")
    admin_sign_in(client, coordinator.username, token="backup123")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_user_with_two_authenticator_apps_chooses_one(client, coordinator):
    phone = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=coordinator, name="tablet", confirmed=True)
    html = admin_sign_in(client, coordinator.username, token=current_code(phone)).content.decode()
    assert client.get("/admin/").status_code == 302
    assert "choose the one the code came from" in html
    assert phone.persistent_id in html and "tablet" in html
    assert STAFF_PASSWORD not in html
    admin_sign_in(client, coordinator.username, token=current_code(phone), device=phone)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_device_of_another_user_is_never_used(client, coordinator, superuser):
    theirs = TOTPDevice.objects.create(user=superuser, name="their phone", confirmed=True)
    TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    admin_sign_in(client, coordinator.username, token=current_code(theirs), device=theirs)
    assert client.get("/admin/").status_code == 302
