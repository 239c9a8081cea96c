"""Re-wrap every document's data key under the current key-encryption key.

Put the new key first in DOCUMENT_ENCRYPTION_KEYS (keep the old one after it), run this,
then remove the old key. Files are not read or rewritten: only the wrapped data keys in the
database change, each with a conditional UPDATE, so running it twice, or while uploads
continue, is harmless.
"""

from django.core.management.base import BaseCommand, CommandError

from records.encryption import DocumentKeyError, WrappedKey, current_key_id, rewrap
from records.models import Document


class Command(BaseCommand):
    help = "Re-wrap documents' data keys under the first DOCUMENT_ENCRYPTION_KEYS key."

    def handle(self, *args, **options) -> None:
        current = current_key_id()
        rewrapped = failed = 0
        stale = Document.objects.exclude(wrapped_key="").exclude(key_id=current)
        for pk, key_id, wrapped in stale.values_list("pk", "key_id", "wrapped_key").iterator():
            try:
                fresh = rewrap(WrappedKey(key_id, wrapped))
            except DocumentKeyError as exc:
                failed += 1
                self.stderr.write(f"document {pk}: {exc}")
                continue
            rewrapped += Document.objects.filter(pk=pk, key_id=key_id, wrapped_key=wrapped).update(
                key_id=fresh.key_id, wrapped_key=fresh.wrapped
            )
        self.stdout.write(f"{rewrapped} data keys re-wrapped under {current!r}")
        if failed:
            raise CommandError(f"{failed} data keys could not be unwrapped (key missing?)")
