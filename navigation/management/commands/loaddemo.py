"""Load the seed content and demo data that `make run` shows. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from navigation.matching import load_example_centres


class Command(BaseCommand):
    help = "Load the published seed content and example data (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        loaders = [load_example_centres]
        for loader in loaders:
            loader()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
