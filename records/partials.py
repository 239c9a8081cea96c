"""The file of an upload that arrives in pieces (records/tus.py), encrypted while it waits.

A resumable upload may sit half-sent for hours (a closed laptop), so its bytes are never
kept in plain on disk: they are written, as they arrive, in the very format of a stored
document (records/encryption.py: a header, then AES-256-GCM chunks of `CHUNK` bytes, the
last one flagged) under the upload's own data key. The length is known from the start,
so each chunk knows whether it is the last. A piece that ends inside a chunk leaves a
plaintext remainder smaller than a chunk: it is sealed into a small side file named after
the offset it ends at (`.tail-<offset>`), under a key derived for that purpose and a random
nonce, and taken back when the next piece arrives. With encryption off
(DOCUMENT_ENCRYPTION=0) the partial file is simply the plaintext, as a stored file is.

Only the offset recorded in the database is trusted: a writer that died left at most some
chunks after it, which the next writer cuts off (`truncate`) before it appends. One writer
at a time: an exclusive `flock` on the file, held for the request, released by the kernel
if the process dies.
"""

import fcntl
import hashlib
import hmac
import io
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from records.encryption import (
    CHUNK,
    HEADER_SIZE,
    TAG,
    DecryptingReader,
    StoredFileCorrupt,
    as_binary_file,
    open_chunk,
    seal_chunk,
    stream_header,
)


class PartialBusy(Exception):
    """Another request is writing this upload right now."""


class PartialLost(Exception):
    """The bytes on disk do not hold what the upload's recorded offset says (removed, cut
    off, or from another node's disk): the upload has to start again."""


def _tail_key(data_key: bytes) -> bytes:
    return hmac.new(data_key, b"cfx-partial-tail", hashlib.sha256).digest()


class PartialFile:
    """The partial file at `path` of an upload of `length` bytes; `data_key` None when
    encryption is off."""

    def __init__(self, path: Path, *, length: int, data_key: bytes | None) -> None:
        self.path = Path(path)
        self.length = length
        self.encrypted = data_key is not None
        self._data_key = data_key
        if data_key is not None:
            self._aead = AESGCM(data_key)
            self._tail_aead = AESGCM(_tail_key(data_key))
        self._last_index = max(0, -(-length // CHUNK) - 1)

    # --- lifetime --------------------------------------------------------------------

    def create(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            if self.encrypted:
                fh.write(stream_header())

    def delete(self) -> None:
        for path in [self.path, *self._tails()]:
            path.unlink(missing_ok=True)

    def _tails(self) -> list[Path]:
        return list(self.path.parent.glob(self.path.name + ".tail-*"))

    def _tail_path(self, offset: int) -> Path:
        return self.path.with_name(f"{self.path.name}.tail-{offset}")

    # --- writing ---------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator["PartialLock"]:
        """Hold the file's write lock (PartialBusy when another request holds it)."""
        try:
            fh = self.path.open("r+b")
        except FileNotFoundError:
            raise PartialLost("the partial file is gone") from None
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PartialBusy from None
            yield PartialLock(self, fh)
        finally:
            fh.close()  # releases the lock

    def _seal_tail(self, offset: int, plain: bytes) -> None:
        nonce = os.urandom(12)
        sealed = self._tail_aead.encrypt(nonce, plain, struct.pack(">Q", offset))
        path = self._tail_path(offset)
        temporary = path.with_name(path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(nonce + sealed)
        temporary.replace(path)

    def _open_tail(self, offset: int) -> bytes:
        want = offset % CHUNK
        if not want:
            return b""
        try:
            raw = self._tail_path(offset).read_bytes()
            plain = self._tail_aead.decrypt(raw[:12], raw[12:], struct.pack(">Q", offset))
        except (FileNotFoundError, InvalidTag):
            raise PartialLost("the remainder of the last piece is gone") from None
        if len(plain) != want:
            raise PartialLost("the remainder of the last piece has the wrong size")
        return plain

    def _drop_tails_except(self, offset: int) -> None:
        keep = self._tail_path(offset)
        for path in self._tails():
            if path != keep:
                path.unlink(missing_ok=True)

    # --- reading the finished file ---------------------------------------------------

    def open_plain(self) -> BinaryIO:
        """The complete upload's plaintext as a stream (checked chunk by chunk)."""
        stored = self.path.open("rb")
        if self._data_key is None:
            return stored
        try:
            return as_binary_file(DecryptingReader(stored, self._data_key))
        except BaseException:
            stored.close()
            raise


class PlainView:
    """The complete upload's plaintext, for the file checks (records/validation.py): each
    `open()` gives a seekable stream that decrypts only the chunks it is asked for, so
    checking a 200 MB scan reads its first and last chunks, not a plaintext copy."""

    def __init__(self, partial: PartialFile) -> None:
        self.partial = partial
        self.size = partial.length

    def open(self, mode: str = "rb") -> BinaryIO:
        if mode != "rb":
            raise ValueError("a plain view is read-only")
        if not self.partial.encrypted:
            return self.partial.path.open("rb")
        return io.BufferedReader(_SeekableDecryptingReader(self.partial), buffer_size=CHUNK)


class _SeekableDecryptingReader(io.RawIOBase):
    # Parsers ask a stream for its name; this one is no path anyone could reopen.
    name = "resumable-upload"

    def __init__(self, partial: PartialFile) -> None:
        self._partial = partial
        self._stored = partial.path.open("rb")
        if self._stored.read(HEADER_SIZE) != stream_header():
            self._stored.close()
            raise StoredFileCorrupt("partial file has no valid header")
        self._size = partial.length
        self._position = 0
        self._index = -1
        self._plain = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            offset += self._size
        if offset < 0:
            raise ValueError("negative seek position")
        self._position = offset
        return offset

    def _chunk(self, index: int) -> bytes:
        if index != self._index:
            self._stored.seek(HEADER_SIZE + index * (CHUNK + TAG))
            sealed = self._stored.read(CHUNK + TAG)
            last = index == self._partial._last_index
            self._plain = open_chunk(self._partial._aead, index, sealed, last=last)
            self._index = index
        return self._plain

    def readinto(self, target) -> int:  # noqa: ANN001 - a writable buffer
        if self._position >= self._size:
            return 0
        index, start = divmod(self._position, CHUNK)
        plain = self._chunk(index)[start : start + len(target)]
        target[: len(plain)] = plain
        self._position += len(plain)
        return len(plain)

    def close(self) -> None:
        self._stored.close()
        super().close()


class PartialLock:
    def __init__(self, partial: PartialFile, fh: BinaryIO) -> None:
        self._partial = partial
        self._fh = fh

    def writer(self, offset: int) -> "PartialWriter":
        """Append from `offset`, the recorded one (checked under this lock): whatever the
        file holds past it is cut off first. Call `finish` at the end, also on errors."""
        return PartialWriter(self._partial, self._fh, offset)


class PartialWriter:
    """Appends plaintext pieces to a partial file: whole chunks sealed into it, the
    remainder kept until the next piece (or sealed into a tail file at `finish`)."""

    def __init__(self, partial: PartialFile, fh: BinaryIO, offset: int) -> None:
        self.partial = partial
        self.offset = offset
        self._fh = fh
        if partial.encrypted:
            self._pending = bytearray(partial._open_tail(offset))
            self._index = offset // CHUNK
            fh.seek(0, os.SEEK_END)
            if fh.tell() < HEADER_SIZE + self._index * (CHUNK + TAG):
                raise PartialLost("the partial file is shorter than its recorded offset")
            fh.truncate(HEADER_SIZE + self._index * (CHUNK + TAG))
            fh.seek(HEADER_SIZE + self._index * (CHUNK + TAG))
        else:
            fh.seek(0, os.SEEK_END)
            if fh.tell() < offset:
                raise PartialLost("the partial file is shorter than its recorded offset")
            fh.truncate(offset)
            fh.seek(offset)

    @property
    def durable_offset(self) -> int:
        """Received bytes that are in the file itself (whole chunks): safe to record while
        the piece is still arriving, since a later writer restarts from there."""
        if not self.partial.encrypted:
            return self.offset
        return self.offset - len(self._pending)

    def write(self, data: bytes) -> None:
        if self.offset + len(data) > self.partial.length:
            raise ValueError("more bytes than the upload's length")
        self.offset += len(data)
        if not self.partial.encrypted:
            self._fh.write(data)
            return
        if not self._pending and len(data) == CHUNK:
            self._seal(data)  # the common case: a whole chunk read at once, no copy
        else:
            self._pending += data
            while len(self._pending) >= CHUNK:
                self._seal(bytes(self._pending[:CHUNK]))
                del self._pending[:CHUNK]
        if self.offset == self.partial.length and self._pending:
            self._seal(bytes(self._pending))
            self._pending.clear()

    def _seal(self, plain: bytes) -> None:
        last = self._index == self.partial._last_index
        self._fh.write(seal_chunk(self.partial._aead, self._index, plain, last=last))
        self._index += 1

    def finish(self) -> None:
        """Make everything received so far durable at `offset` (tail file included)."""
        self._fh.flush()
        if self.partial.encrypted:
            if self._pending:
                self.partial._seal_tail(self.offset, bytes(self._pending))
            self.partial._drop_tails_except(self.offset)
