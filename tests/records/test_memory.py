"""A 200 MB upload must not need 200 MB of memory: it streams to disk in chunks.

The request body is produced on the fly and fed to Django as a stream, as a web server
would; a thread samples the process's resident memory while the upload runs.
"""

import struct
import threading

import psutil
from django.test.client import ClientHandler

from records.models import Document

from .files import dicom_bytes

SIZE = 200 * 1024 * 1024
BOUNDARY = "----cancerfaxboundary"


class StreamedBody:
    """A multipart body of one 200 MB DICOM file, generated while it is read."""

    def __init__(self) -> None:
        header = dicom_bytes(pixels=b"\0" * 1024)
        # Declare SIZE bytes of pixel data (10240 x 20480 at 8 bits) and stream them.
        cut = header.rindex(b"\xe0\x7f\x10\x00")
        element = header[cut : cut + 8] + struct.pack("<I", SIZE)
        dicom_head = header[:cut] + element
        self.parts = [
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="category"\r\n\r\n'
                f'imaging\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="CT0001"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + dicom_head
        ]
        self.pixels_left = SIZE
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(self.parts[0]) + SIZE + len(self.tail)
        self.file_size = len(dicom_head) + SIZE

    def read(self, size: int = -1) -> bytes:
        out = b""
        if self.parts:
            out = self.parts.pop(0)
        elif self.pixels_left:
            n = min(size if size > 0 else 1 << 20, self.pixels_left, 1 << 20)
            self.pixels_left -= n
            out = b"\x11" * n
        elif self.tail:
            out, self.tail = self.tail, b""
        return out

    def readline(self, size: int = -1) -> bytes:
        # Multipart parsing never reads lines from the raw stream; WSGI wants the method.
        return self.read(size)


def test_a_200_mb_upload_raises_peak_memory_by_less_than_32_mb(db, settings, capsys):
    settings.UPLOAD_MAX_FILE_BYTES = 300 * 1024 * 1024
    body = StreamedBody()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/submit/uploads/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(body.length),
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
    }
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
        response = ClientHandler(enforce_csrf_checks=False)(environ)
    finally:
        done.set()
        sampler.join()

    assert response.status_code == 201, response.content
    document = Document.objects.get()
    assert document.size == body.file_size
    growth_mb = (peak - baseline) / 1024 / 1024
    with capsys.disabled():
        print(f"\n200 MB upload: peak RSS grew by {growth_mb:.1f} MB")
    assert growth_mb < 32
