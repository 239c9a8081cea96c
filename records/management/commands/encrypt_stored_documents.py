"""Encrypt the documents stored before encryption at rest was turned on.

Each plain file is read once, checked against the SHA-256 taken at upload (a file that no
longer matches is left as it is and named, for the integrity alert to follow up), written
encrypted under a new name, and swapped in by a conditional UPDATE; the plain file is then
deleted. Safe to stop and run again: what is done is not done twice.
"""

import hashlib
import tempfile
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from records.encryption import EncryptingReader, as_binary_file, wrap
from records.models import Document, ScanStatus

CHUNK = 1024 * 1024


class Command(BaseCommand):
    help = "Encrypt documents stored in plain (from before DOCUMENT_ENCRYPTION)."

    def handle(self, *args, **options) -> None:
        if not settings.DOCUMENT_ENCRYPTION:
            raise CommandError("DOCUMENT_ENCRYPTION is off")
        storage = storages["private"]
        done = skipped = 0
        plain = Document.objects.filter(wrapped_key="").exclude(status=ScanStatus.INFECTED)
        for document in plain.iterator():
            with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
                hasher, size = hashlib.sha256(), 0
                try:
                    with storage.open(document.storage_name, "rb") as stored:
                        while chunk := stored.read(CHUNK):
                            hasher.update(chunk)
                            copy.write(chunk)
                            size += len(chunk)
                except FileNotFoundError:
                    skipped += 1
                    self.stderr.write(f"document {document.pk}: stored file missing")
                    continue
                if hasher.hexdigest() != document.sha256:
                    skipped += 1
                    self.stderr.write(f"document {document.pk}: does not match its SHA-256")
                    continue
                data_key = AESGCM.generate_key(bit_length=256)
                wrapped = wrap(data_key)
                copy.seek(0)
                name = f"documents/{uuid.uuid4().hex}"
                new_name = storage.save(
                    name, File(as_binary_file(EncryptingReader(copy, data_key, size)), name)
                )
            swapped = Document.objects.filter(
                pk=document.pk, wrapped_key="", storage_name=document.storage_name
            ).update(storage_name=new_name, key_id=wrapped.key_id, wrapped_key=wrapped.wrapped)
            if swapped:
                storage.delete(document.storage_name)
                done += 1
            else:  # changed meanwhile (erased, or encrypted by another run)
                storage.delete(new_name)
        self.stdout.write(f"{done} documents encrypted, {skipped} left as they were")
        if skipped:
            raise CommandError(f"{skipped} documents could not be encrypted (see above)")
