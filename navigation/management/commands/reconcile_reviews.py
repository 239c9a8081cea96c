from datetime import timedelta

from django.core.management.base import BaseCommand

from navigation.services.reconcile import reviews_reconcile


class Command(BaseCommand):
    help = (
        "Give every open case its review: re-send reviews the broker took but that never "
        "came to anything, send those it never took, notify coordinators never told."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--grace",
            type=int,
            default=None,
            help="Seconds to leave work in flight before touching it (default: settings).",
        )

    def handle(self, *args, grace: int | None = None, **options) -> None:
        result = reviews_reconcile(grace=None if grace is None else timedelta(seconds=grace))
        self.stdout.write(
            f"requeued {result.requeued}, re-sent {result.resent}, sent {result.sent}, "
            f"notified {result.notified}"
        )
