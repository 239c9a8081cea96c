"""Sign-in helpers for the security tests: the real admin form, with a real TOTP code."""

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import STAFF_PASSWORD

LOGIN_URL = "/admin/login/"


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(code).zfill(device.digits)


def admin_sign_in(
    client: Client,
    username: str,
    *,
    password: str = STAFF_PASSWORD,
    token: str = "",
    device=None,
    ip: str = "192.0.2.10",
    next_url: str = "/admin/",
):
    return client.post(
        f"{LOGIN_URL}?next={next_url}",
        {
            "username": username,
            "password": password,
            "otp_device": device.persistent_id if device is not None else "",
            "otp_token": token,
            "next": next_url,
        },
        REMOTE_ADDR=ip,
    )
