"""Enrol a staff member's authenticator app (and print one-time backup codes).

manage.py enrol_totp alice              # prints the otpauth:// URI and a QR code
manage.py enrol_totp alice --backup-codes 10 --replace
"""

from typing import TextIO, cast

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Enrol a TOTP device for a staff user; the admin refuses staff without one."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator app")
        parser.add_argument(
            "--replace", action="store_true", help="Remove the user's existing devices first."
        )
        parser.add_argument(
            "--backup-codes",
            type=int,
            default=0,
            help="Also create this many single-use backup codes (shown once).",
        )
        parser.add_argument("--svg", help="Write the QR code to this SVG file as well.")
        parser.add_argument("--no-qr", action="store_true", help="Do not draw the QR code.")

    @transaction.atomic
    def handle(self, *args, username: str, name: str, replace: bool, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}") from None
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff: only staff use the admin")
        if replace:
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        uri = device.config_url
        self.stdout.write(f"TOTP device {device.pk} enrolled for {username}.")
        self.stdout.write("Add it to the authenticator app with this URI (keep it secret):")
        self.stdout.write(uri)
        if not options["no_qr"]:
            qr = segno.make(uri)
            # The stream itself: OutputWrapper.write would end each of segno's pieces with
            # a newline. Django's stubs do not declare the wrapper's stream attribute.
            qr.terminal(out=cast(TextIO, self.stdout._out), compact=True)
            if options["svg"]:
                qr.save(options["svg"], kind="svg", scale=4)
                self.stdout.write(f"QR code written to {options['svg']}")
        count = options["backup_codes"]
        if count > 0:
            static, _ = StaticDevice.objects.get_or_create(
                user=user, name="Backup codes", defaults={"confirmed": True}
            )
            static.token_set.all().delete()
            self.stdout.write("Single-use backup codes (store them offline):")
            for _ in range(count):
                token = StaticToken.random_token()
                static.token_set.create(token=token)
                self.stdout.write(f"  {token}")
