from django.core.management.base import BaseCommand, CommandError

from records.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Check every audit event's hash and its link to the one before; fail on any break."

    def handle(self, *args, **options) -> None:
        count, problems = audit_chain_verify()
        for problem in problems:
            self.stderr.write(f"audit event {problem.event_id}: {problem.problem}")
        if problems:
            raise CommandError(f"audit chain broken: {len(problems)} problem(s) in {count} events")
        self.stdout.write(f"Audit chain intact: {count} events.")
