"""The development-only example data a newcomer signs in to."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigation.models import Case
from tests.security.helpers import admin_sign_in

pytestmark = pytest.mark.django_db


def test_it_creates_marked_example_cases_and_staff_who_can_sign_in(client, capsys):
    call_command("seed_examples")
    out = capsys.readouterr().out
    cases = Case.objects.all()
    assert cases.count() >= 5
    for case in cases.select_related("patient"):
        assert case.reference.startswith("CF-EXAMPLE")
        assert case.patient.full_name.startswith("Example patient")
        assert case.patient.email.endswith("@example.invalid")
        assert case.prescreen_outcome  # the review ran: the queue shows outcomes
    assert out.count("otpauth://totp/") == 2
    password = re.search(r"example-coordinator\n  password:\s+(\S+)", out).group(1)
    device = TOTPDevice.objects.get(user__username="example-coordinator")
    code = str(totp(device.bin_key, device.step, device.t0, device.digits)).zfill(6)
    admin_sign_in(client, "example-coordinator", password=password, token=code)
    assert client.get("/admin/navigation/case/").status_code == 200


def test_running_it_again_adds_nothing_and_keeps_the_accounts(capsys):
    call_command("seed_examples")
    count = Case.objects.count()
    capsys.readouterr()
    call_command("seed_examples")
    assert Case.objects.count() == count
    assert "otpauth://" not in capsys.readouterr().out


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="development only"):
        call_command("seed_examples")
    assert not Case.objects.exists()
