"""Confirm a patient's erasure request: `manage.py erase_case CF-XXXXXXXX --by alice`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from navigation.models import Case
from navigation.services.privacy import ErasureNotAllowed, case_erase


class Command(BaseCommand):
    help = "Erase a case's patient and everything about them, as a named coordinator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--by", required=True, help="Username of the confirming coordinator.")

    def handle(self, *args, reference: str, by: str, **options) -> None:
        User = get_user_model()
        coordinator = User.objects.filter(**{User.USERNAME_FIELD: by}, is_active=True).first()
        if coordinator is None:
            raise CommandError(f"No active user named {by!r}")
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case {reference} (already erased?)")
        try:
            case_erase(case_id=case.pk, confirmed_by=coordinator)
        except ErasureNotAllowed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Case {reference} erased.")
