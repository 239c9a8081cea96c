"""Documents in and out of private storage, encrypted at rest (records/encryption.py).

`document_file_save` writes an upload's plaintext temporary file to storage, encrypted under
a new data key when DOCUMENT_ENCRYPTION is on; `document_file_open` gives the plaintext of a
stored document as a stream, decrypting and checking it chunk by chunk. Every reader of
documents (downloads, the scanner, the daily integrity check) goes through it.
"""

from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile

from records.encryption import (
    DecryptingReader,
    DocumentKeyError,
    EncryptingReader,
    StoredFileCorrupt,
    WrappedKey,
    as_binary_file,
    unwrap,
    wrap,
)
from records.models import Document

__all__ = ["DocumentKeyError", "StoredFileCorrupt", "document_file_open", "document_file_save"]


def document_file_save(*, name: str, upload: UploadedFile) -> tuple[str, WrappedKey]:
    """Store `upload` (its plaintext) under `name`; the stored name and the wrapped data
    key (empty when encryption is off: the temporary file is then simply moved). An upload
    that carries `sealed` (its stored form) and `wrapped` (that form's key) is stored as
    it is."""
    storage = storages["private"]
    sealed = getattr(upload, "sealed", None)
    wrapped_key = getattr(upload, "wrapped", None)
    if sealed is not None and wrapped_key is not None:
        # Already in the stored form, under its own data key (a resumable upload's partial
        # file, records/partials.py): moved into storage, or copied, as it is.
        return storage.save(name, sealed), wrapped_key
    if not settings.DOCUMENT_ENCRYPTION:
        return storage.save(name, upload), WrappedKey("", "")
    data_key = AESGCM.generate_key(bit_length=256)
    wrapped = wrap(data_key)
    upload.seek(0)
    if upload.file is None or upload.size is None:
        raise ValueError("an upload without its file or its size")
    encrypted = EncryptingReader(upload.file, data_key, upload.size)
    return storage.save(name, File(as_binary_file(encrypted), name=name)), wrapped


def document_file_open(document: Document) -> BinaryIO:
    """The document's plaintext as a binary stream (close it after use).

    Raises FileNotFoundError when the bytes are gone, StoredFileCorrupt while reading when
    they were changed, and DocumentKeyError when the key is not configured.
    """
    stored = storages["private"].open(document.storage_name, "rb")
    if not document.wrapped_key:
        return as_binary_file(stored)
    try:
        data_key = unwrap(WrappedKey(document.key_id, document.wrapped_key))
        return as_binary_file(DecryptingReader(as_binary_file(stored), data_key))
    except BaseException:
        stored.close()
        raise
