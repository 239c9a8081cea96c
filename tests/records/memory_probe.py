"""Measure the memory a 200 MB upload costs, in a fresh process.

Run by tests/records/test_memory.py, or by hand:
    .venv/bin/python -m tests.records.memory_probe
It prints one JSON line: {"size_mb": 200, "rss_growth_mb": ..., "status": 201}.

A fresh process matters: in a long test run, memory freed by earlier tests stays with the
process and hides what an upload costs. The request body is generated while Django reads
it, as a web server would stream it; a thread samples the resident memory meanwhile.
"""

import json
import os
import struct
import sys
import tempfile
import threading
from pathlib import Path

SIZE = 200 * 1024 * 1024
BOUNDARY = "----cancerfaxboundary"


class StreamedBody:
    """A multipart body carrying one DICOM file of `pixels` bytes, generated as it is read."""

    def __init__(self, header: bytes, pixels: int) -> None:
        # Declare `pixels` bytes of pixel data in the element header, then stream them.
        cut = header.rindex(b"\xe0\x7f\x10\x00")
        dicom_head = header[:cut] + header[cut : cut + 8] + struct.pack("<I", pixels)
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="category"\r\n\r\n'
            f'imaging\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="CT0001"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode() + dicom_head
        self.pixels_left = pixels
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(self.head) + pixels + len(self.tail)
        self.file_size = len(dicom_head) + pixels

    def read(self, size: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        if self.pixels_left:
            n = min(size if size > 0 else 1 << 20, self.pixels_left, 1 << 20)
            self.pixels_left -= n
            return b"\x11" * n
        out, self.tail = self.tail, b""
        return out

    def readline(self, size: int = -1) -> bytes:
        # Multipart parsing never reads lines from the raw stream; WSGI wants the method.
        return self.read(size)


def upload(body: StreamedBody):
    from django.test.client import ClientHandler

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/submit/uploads/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(body.length),
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
    }
    return ClientHandler(enforce_csrf_checks=False)(environ)


def main() -> dict:
    import django
    import psutil

    django.setup()
    from django.core.management import call_command

    from records.models import Document
    from tests.records.files import dicom_bytes

    call_command("migrate", verbosity=0)
    header = dicom_bytes(pixels=b"\0" * 1024)
    # Warm up: load every parser and code path once, so only the upload itself is measured.
    warm = upload(StreamedBody(header, 1024 * 1024))
    assert warm.status_code == 201, warm.content

    body = StreamedBody(header, SIZE)
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            done.wait(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = upload(body)
    finally:
        done.set()
        sampler.join()
    stored = Document.objects.order_by("-pk").first()
    return {
        "size_mb": SIZE // (1024 * 1024),
        "status": response.status_code,
        "stored_bytes": stored.size if stored else 0,
        "expected_bytes": body.file_size,
        # The upload is encrypted into storage as it is written (settings default).
        "encrypted": bool(stored and stored.wrapped_key),
        "rss_growth_mb": round((peak - baseline) / 1024 / 1024, 1),
    }


if __name__ == "__main__":
    work = Path(tempfile.mkdtemp(prefix="memory-probe-"))
    for name in ("private", "upload-tmp"):
        (work / name).mkdir()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cancerfax.settings",
            "DATABASE_URL": f"sqlite:///{work / 'probe.sqlite3'}",
            "PRIVATE_STORAGE_ROOT": str(work / "private"),
            "FILE_UPLOAD_TEMP_DIR": str(work / "upload-tmp"),
            "UPLOAD_MAX_FILE_BYTES": str(300 * 1024 * 1024),
            "CLAMD_ADDRESS": "",
            "CELERY_BROKER_URL": "",
            "REDIS_URL": "",
            "CACHE_URL": "",
        }
    )
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    try:
        print(json.dumps(main()))
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
