"""A large scan over a connection that drops, in headless Chromium: the upload is cut off
about half way (a proxy between the browser and the site closes the connection), the page
asks the server where the file stands and sends only the rest; the stored file is the
original, byte for byte."""

import contextlib
import hashlib
import os
import socket
import threading

import pytest

from records.models import Document, ResumableUpload
from records.storage import document_file_open
from tests.conftest import wait_for

from .files import dicom_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024
SIZE = 50 * MIB


class CuttingProxy:
    """Relays TCP between the browser and the live server; once armed, the connection
    that carries the `cut_after`-th byte towards the server is closed, both ways."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_after: int | None = None
        self.sent = 0
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, cut_after: int) -> None:
        with self._lock:
            self.sent = 0
            self.cut_after = cut_after

    def close(self) -> None:
        self._closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            for args in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=args, daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, towards_server: bool) -> None:
        try:
            while data := source.recv(256 * 1024):
                if towards_server and self._over(len(data)):
                    break
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _over(self, size: int) -> bool:
        with self._lock:
            if self.cut_after is None or self.cut.is_set():
                return False
            self.sent += size
            if self.sent < self.cut_after:
                return False
            self.cut.set()
            return True


@pytest.fixture
def proxy(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    relay = CuttingProxy((host, int(port)))
    yield relay
    relay.close()


@pytest.fixture
def large_scan(tmp_path):
    path = tmp_path / "ct-series.dcm"
    path.write_bytes(dicom_bytes(pixels=os.urandom(SIZE)))
    return path


def test_a_large_upload_cut_off_half_way_resumes_from_the_servers_offset(
    browser, proxy, large_scan, settings
):
    # One piece for the whole file, so the cut falls inside a piece: the server keeps
    # what arrived of it, and the page must learn where that is.
    settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES = 64 * MIB
    original = hashlib.sha256(large_scan.read_bytes()).hexdigest()
    size = large_scan.stat().st_size
    context = browser.new_context(base_url=f"http://127.0.0.1:{proxy.port}")
    page = context.new_page()
    page.set_default_timeout(30_000)
    patches: list[int] = []
    offsets_told: list[int] = []
    page.on(
        "request",
        lambda request: (
            patches.append(int(request.headers["upload-offset"]))
            if request.method == "PATCH"
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            offsets_told.append(int(response.headers["upload-offset"]))
            if response.request.method == "HEAD" and response.status == 200
            else None
        ),
    )
    try:
        page.goto("/submit/")
        proxy.arm(cut_after=size // 2)
        page.set_input_files("#id_files_imaging", str(large_scan))
        page.locator("[data-records-list] li[data-document-id]").wait_for(timeout=180_000)
    finally:
        context.close()

    assert proxy.cut.is_set()
    # Started at 0; after the cut, asked the server and went on from what it held.
    assert patches[0] == 0
    assert len(offsets_told) >= 1
    resumed_from = offsets_told[-1]
    assert 0 < resumed_from < size
    assert patches[-1] == resumed_from
    assert resumed_from > size // 4  # what arrived before the cut was kept

    document = wait_for(lambda: Document.objects.first())
    assert document.size == size
    assert document.sha256 == original
    with document_file_open(document) as stored:
        digest = hashlib.sha256()
        while chunk := stored.read(MIB):
            digest.update(chunk)
    assert digest.hexdigest() == original
    assert ResumableUpload.objects.get().document == document


def test_after_a_reload_the_same_file_continues_the_upload_it_began(
    browser, proxy, tmp_path, settings
):
    settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES = 64 * MIB
    scan = tmp_path / "pet-series.dcm"
    scan.write_bytes(dicom_bytes(pixels=os.urandom(20 * MIB)))
    size = scan.stat().st_size
    context = browser.new_context(base_url=f"http://127.0.0.1:{proxy.port}")
    page = context.new_page()
    page.set_default_timeout(30_000)
    created: list[str] = []
    patches: list[int] = []

    def seen(request) -> None:
        if request.method == "POST" and "/resumable/" in request.url:
            created.append(request.url)
        if request.method == "PATCH":
            patches.append(int(request.headers["upload-offset"]))

    page.on("request", seen)
    try:
        page.goto("/submit/")
        proxy.arm(cut_after=size // 2)
        page.set_input_files("#id_files_imaging", str(scan))
        wait_for(proxy.cut.is_set, timeout=60)
        # The laptop closes: the page is gone before it could try again.
        page.reload()
        page.set_input_files("#id_files_imaging", str(scan))
        page.locator("[data-records-list] li[data-document-id]").wait_for(timeout=120_000)
    finally:
        context.close()

    assert len(created) == 1  # the upload the page began, continued, not a new one
    assert patches[0] == 0
    assert 0 < patches[-1] < size
    document = Document.objects.get()
    assert document.sha256 == hashlib.sha256(scan.read_bytes()).hexdigest()
