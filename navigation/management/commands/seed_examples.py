"""Development only: example staff accounts (with their TOTP URIs) and example cases, so a
newcomer signs in and sees a working queue. Refuses to run in production.

    make examples                       # or: .venv/bin/python manage.py seed_examples
    .venv/bin/python manage.py seed_examples --reset   # new passwords and codes
"""

import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cancerfax.roles import CONTENT_EDITORS, COORDINATORS
from navigation.models import Case
from navigation.services.cases import case_open
from navigation.services.review import case_review_open
from records.consent import CONSENT_VERSION
from records.services.documents import document_add_to_patient
from records.services.patients import patient_submit

# Every example is marked as one: the name says so, the address cannot receive mail
# (.invalid is reserved), and the reference starts with CF-EXAMPLE.
EXAMPLE_DOMAIN = "example.invalid"
EXAMPLE_PREFIX = "Example patient"
STAFF = (
    ("example-coordinator", COORDINATORS, "Example", "Coordinator"),
    ("example-editor", CONTENT_EDITORS, "Example", "Editor"),
)
# (profile, document categories already sent): a spread the queue's filters can show.
CASES = (
    (
        {"stage": "IIIA", "gastrectomy": "d2", "curative_intent": True, "her2_ihc": "1+"},
        ["pathology"],
    ),
    (
        {"stage": "IV", "metastatic": True, "prior_lines": 0, "her2_ihc": "3+"},
        ["pathology", "her2"],
    ),
    ({"stage": "IIB", "gastrectomy": "d2", "curative_intent": True, "lauren_type": "diffuse"}, []),
    ({"stage": "IV", "metastatic": True, "prior_lines": 2, "ecog": 3}, ["imaging"]),
    ({"stage": "", "her2_reported_status": "positive"}, []),
    (
        {
            "stage": "IIIB",
            "tnm_t": "T3",
            "tnm_n": "N2",
            "tnm_m": "M0",
            "lauren_type": "intestinal",
        },
        ["pathology", "imaging"],
    ),
)


def example_pdf(title: str) -> bytes:
    """A real (tiny) PDF, so the upload checks take it as they would a patient's."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, f"EXAMPLE {title}: made up for the development queue.")
    canvas.save()
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Development only: example staff accounts with TOTP URIs, and example cases."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Give the example accounts new passwords, authenticators and backup codes.",
        )

    def handle(self, *args, reset: bool, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_examples is for development only; refusing in production.")
        accounts = self._staff(reset=reset)
        made = self._cases()
        total = Case.objects.filter(reference__startswith="CF-EXAMPLE").count()
        # The accounts last, after any mail the example reviews printed to the console.
        self.stdout.write(self.style.SUCCESS(f"\n{made} example case(s) added; {total} in all."))
        self.stdout.write("\n".join(accounts))

    @transaction.atomic
    def _staff(self, *, reset: bool) -> list[str]:
        User = get_user_model()
        lines = []
        for username, group, first, last in STAFF:
            user = User.objects.filter(username=username).first()
            if user is not None and not reset:
                lines.append(f"{username}: exists (run with --reset for a new password and code).")
                continue
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@{EXAMPLE_DOMAIN}",
                    first_name=first,
                    last_name=last,
                    is_staff=True,
                    password=password,
                )
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=group))
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
            static = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
            codes = [StaticToken.random_token() for _ in range(3)]
            for code in codes:
                static.token_set.create(token=code)
            lines += [
                f"\n{group[:-1]} account (example): {username}",
                f"  password:     {password}",
                f"  TOTP URI:     {device.config_url}",
                f"  backup codes: {', '.join(codes)}",
            ]
        lines.append(
            "\nAdd the TOTP URI to an authenticator app (or give its secret to "
            "`oathtool --totp -b`), then sign in at /admin/ with the username, the password "
            "and the app's six-digit code (or a backup code)."
        )
        return lines

    def _cases(self) -> int:
        made = 0
        for n, (profile, categories) in enumerate(CASES, start=1):
            reference = f"CF-EXAMPLE{chr(ord('A') + n - 1)}"
            if Case.objects.filter(reference=reference).exists():
                continue
            with transaction.atomic():
                patient = patient_submit(
                    contact={
                        "full_name": f"{EXAMPLE_PREFIX} {n}",
                        "date_of_birth": date(1950 + 3 * n, n, 10 + n),
                        "relationship": "self",
                        "email": f"patient-{n}@{EXAMPLE_DOMAIN}",
                        "phone": "+442071234567",
                        "country": "United Kingdom",
                    },
                    profile=profile,
                    consent_version=CONSENT_VERSION,
                    draft=None,
                )
                for category in categories:
                    document_add_to_patient(
                        patient=patient,
                        category=category,
                        upload=SimpleUploadedFile(
                            f"example-{category}.pdf", example_pdf(category), "application/pdf"
                        ),
                    )
                case = case_open(patient=patient)
                Case.objects.filter(pk=case.pk).update(reference=reference)
            # In development the review runs in-process after commit; this makes sure of it.
            case_review_open(case_id=case.pk)
            made += 1
        return made
