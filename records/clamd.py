"""ClamAV over clamd's INSTREAM protocol: the verdict on one stream, and the scanner's state.

No client library: the protocol is a few lines (a command, length-prefixed chunks, a zero
length, one reply). Anything short of a clear "OK" or "FOUND" from clamd is treated as
"could not scan" (ScannerUnavailable): scanning fails closed.

Development without a scanner (no CLAMD_ADDRESS, not production) is the one exception:
`scanner_absent_in_development`; production refuses to start without CLAMD_ADDRESS
(cancerfax/settings.py).
"""

import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlparse

from django.conf import settings

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not give a verdict (down, unreachable, over a limit, not configured)."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    infected: bool
    signature: str = ""


def _connect(address: str, timeout: float) -> socket.socket:
    parsed = urlparse(address)
    if parsed.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(parsed.path)
        return sock
    if parsed.scheme == "tcp" and parsed.hostname and parsed.port:
        return socket.create_connection((parsed.hostname, parsed.port), timeout=timeout)
    raise ScannerUnavailable("CLAMD_ADDRESS must be tcp://host:port or unix:///path")


def clamd_scan(stream: BinaryIO, *, address: str | None = None) -> ScanResult:
    """Send `stream` to clamd in chunks and return its verdict."""
    address = settings.CLAMD_ADDRESS if address is None else address
    if not address:
        raise ScannerUnavailable("no CLAMD_ADDRESS configured")
    try:
        with _connect(address, settings.CLAMD_TIMEOUT) as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        raise ScannerUnavailable(f"clamd unreachable: {exc.__class__.__name__}") from None
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith(" OK"):
        return ScanResult(infected=False)
    if text.endswith(" FOUND"):
        signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
        return ScanResult(infected=True, signature=signature)
    raise ScannerUnavailable(f"clamd gave no verdict: {text[:100]!r}")


def scanner_absent_in_development() -> bool:
    """No scanner configured, and allowed to be so: development only."""
    return not settings.CLAMD_ADDRESS and not settings.PRODUCTION


def scanner_state() -> str:
    """For /readyz: "ok", "unavailable", or "absent (development)"."""
    if scanner_absent_in_development():
        return "absent (development)"
    try:
        with _connect(settings.CLAMD_ADDRESS, timeout=2) as sock:
            sock.sendall(b"zPING\0")
            reply = sock.recv(64)
    except (OSError, ScannerUnavailable):
        return "unavailable"
    return "ok" if reply.rstrip(b"\0").strip() == b"PONG" else "unavailable"
