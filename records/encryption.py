"""Documents encrypted at rest by the application, whatever storage holds them.

Each file gets its own random 256-bit data key. The file is written as a header and then
chunks of AES-256-GCM (`FORMAT` below): each chunk's nonce is its position, with a flag on
the last one, so a chunk moved, dropped, repeated or cut off fails authentication (the
STREAM construction). The header is authenticated with every chunk. Memory stays at one
chunk, in and out.

The data key is stored with the document, wrapped (AES-GCM) by a key-encryption key from
the environment, `DOCUMENT_ENCRYPTION_KEYS`: "id:base64-key" pairs, the first one used for
new files, the others still read. Rotation (`manage.py rotate_document_keys`) re-wraps the
data keys under the first key and never touches the files. Development and tests use a
fixed key; production refuses to start without a real one (cancerfax/settings.py).
"""

import base64
import io
import os
import struct
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"CFXDOC1\n"
CHUNK = 1024 * 1024  # plaintext bytes per chunk
TAG = 16
_HEADER = struct.Struct(">8sI")  # magic, chunk size
HEADER_SIZE = _HEADER.size
FORMAT = "header (magic, chunk size), then AES-256-GCM chunks of CHUNK bytes + 16-byte tag"


class DocumentKeyError(Exception):
    """The key needed for a document is not configured, or a wrapped key is not valid."""


class StoredFileCorrupt(Exception):
    """The stored bytes do not decrypt: changed, cut off, reordered or from another file."""


@dataclass(frozen=True, slots=True)
class WrappedKey:
    key_id: str
    wrapped: str  # base64: nonce + AES-GCM(KEK, data key)


def _keys() -> dict[str, bytes]:
    return settings.DOCUMENT_ENCRYPTION_KEYS


def current_key_id() -> str:
    keys = _keys()
    if not keys:
        raise DocumentKeyError("no DOCUMENT_ENCRYPTION_KEYS configured")
    return next(iter(keys))


def _kek(key_id: str) -> bytes:
    try:
        return _keys()[key_id]
    except KeyError:
        raise DocumentKeyError(f"document key {key_id!r} is not configured") from None


def wrap(data_key: bytes, *, key_id: str | None = None) -> WrappedKey:
    key_id = key_id or current_key_id()
    nonce = os.urandom(12)
    sealed = AESGCM(_kek(key_id)).encrypt(nonce, data_key, b"cfx-data-key:" + key_id.encode())
    return WrappedKey(key_id=key_id, wrapped=base64.b64encode(nonce + sealed).decode())


def unwrap(wrapped: WrappedKey) -> bytes:
    raw = base64.b64decode(wrapped.wrapped)
    try:
        return AESGCM(_kek(wrapped.key_id)).decrypt(
            raw[:12], raw[12:], b"cfx-data-key:" + wrapped.key_id.encode()
        )
    except InvalidTag:
        raise DocumentKeyError(f"a data key does not unwrap with key {wrapped.key_id!r}") from None


def rewrap(wrapped: WrappedKey) -> WrappedKey:
    """The same data key under the current key-encryption key (files stay as they are)."""
    return wrap(unwrap(wrapped))


def _nonce(index: int, last: bool) -> bytes:
    return struct.pack(">QI", index, 1 if last else 0)


def stream_header() -> bytes:
    """The header every stored file starts with (also each chunk's associated data)."""
    return _HEADER.pack(MAGIC, CHUNK)


def seal_chunk(aead: AESGCM, index: int, plain: bytes, *, last: bool) -> bytes:
    """Chunk `index` of a stored file, as EncryptingReader writes it: for writers that
    receive the plaintext piece by piece (resumable uploads, records/partials.py)."""
    return aead.encrypt(_nonce(index, last), plain, stream_header())


def open_chunk(aead: AESGCM, index: int, sealed: bytes, *, last: bool) -> bytes:
    """The plaintext of chunk `index` of a stored file (StoredFileCorrupt if it does not
    authenticate), for readers that jump to a chunk (records/partials.py)."""
    try:
        return aead.decrypt(_nonce(index, last), sealed, stream_header())
    except InvalidTag:
        raise StoredFileCorrupt(f"chunk {index} does not authenticate") from None


def encrypted_size(plain_size: int) -> int:
    chunks = max(1, -(-plain_size // CHUNK))
    return HEADER_SIZE + plain_size + chunks * TAG


def as_binary_file(stream: object) -> BinaryIO:
    """The stream, typed as the binary file it reads like: a RawIOBase stream and Django's
    File (a proxy of one) are both read as files, but neither is typed as BinaryIO."""
    return cast(BinaryIO, stream)


class _ChunkStream(io.RawIOBase):
    """A stream that turns one chunk at a time (`_fill`) into bytes read from a buffer."""

    _buffer: bytearray
    _done: bool
    _position = 0

    def _fill(self) -> None:
        raise NotImplementedError

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._fill()
        if size < 0:
            size = len(self._buffer)
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._position += len(out)
        return out

    def readinto(self, target) -> int:  # noqa: ANN001 - a writable buffer
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)


class EncryptingReader(_ChunkStream):
    """Reads `source` (plaintext) and gives the stored form, one chunk at a time.

    Storage backends read it like a file: FileSystemStorage through chunks(), S3 through
    read(); both may seek back to the start first, which restarts the stream.
    """

    def __init__(self, source: IO[bytes], data_key: bytes, plain_size: int) -> None:
        self._source = source
        self._aead = AESGCM(data_key)
        self._header = stream_header()
        self.size = encrypted_size(plain_size)
        self._plain_size = plain_size
        self.seek(0)

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END and offset == 0:
            return self.size  # asked for the size; reading then restarts from 0
        if (offset, whence) not in ((0, io.SEEK_SET), (0, io.SEEK_CUR)):
            raise io.UnsupportedOperation("an encrypting stream only restarts from 0")
        if whence == io.SEEK_SET:
            self._source.seek(0)
            self._buffer = bytearray(self._header)
            self._index = 0
            self._read_plain = 0
            self._done = False
            self._position = 0
        return self._position

    def tell(self) -> int:
        return self._position

    def _fill(self) -> None:
        plain = self._source.read(CHUNK)
        self._read_plain += len(plain)
        last = self._read_plain >= self._plain_size or len(plain) < CHUNK
        self._buffer += self._aead.encrypt(_nonce(self._index, last), plain, self._header)
        self._index += 1
        self._done = last


class DecryptingReader(_ChunkStream):
    """Reads a stored (encrypted) file and gives its plaintext, checking every chunk.

    Raises StoredFileCorrupt on the first chunk that does not authenticate, and at the end
    when the last chunk never came (the file was cut at a chunk boundary).
    """

    def __init__(self, stored: IO[bytes], data_key: bytes) -> None:
        self._stored = stored
        self._aead = AESGCM(data_key)
        self._header = stored.read(HEADER_SIZE)
        if len(self._header) != HEADER_SIZE:
            raise StoredFileCorrupt("stored file too short for its header")
        magic, self._chunk = _HEADER.unpack(self._header)
        if magic != MAGIC or not 0 < self._chunk <= 64 * CHUNK:
            raise StoredFileCorrupt("stored file has no valid header")
        self._buffer = bytearray()
        self._index = 0
        self._done = False
        self._pending = stored.read(self._chunk + TAG)

    def _fill(self) -> None:
        sealed = self._pending
        self._pending = self._stored.read(self._chunk + TAG)
        last = not self._pending
        try:
            plain = self._aead.decrypt(_nonce(self._index, last), sealed, self._header)
        except InvalidTag:
            raise StoredFileCorrupt(f"chunk {self._index} does not authenticate") from None
        self._buffer += plain
        self._index += 1
        self._done = last

    def close(self) -> None:
        self._stored.close()
        super().close()
