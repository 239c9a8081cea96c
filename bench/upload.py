"""Measure 4: a 200 MB file through gunicorn, resumable (tus) and multipart.

The resumable path is what the intake's script uses: `POST /submit/uploads/resumable/`
creates the upload, then PATCH requests of at most UPLOAD_RESUMABLE_MAX_PATCH_BYTES (the
script's piece size) carry the file, each body sent with sendfile(2) by a small client
here; the server reads the body as a stream, hashes it and seals it into the encrypted
partial file, and on the last piece checks the file and moves it into private storage.
The multipart path is the one browsers without the script use (`POST /submit/uploads/`,
sent by curl).

The file is a DICOM image (the staging-imaging category takes them) with 200 MB of pixel
data: the kind of file patients really send at that size, and one the type check accepts
without reading it all. curl streams it as multipart/form-data to gunicorn (one worker,
`--max-requests 0`, so the same process takes every request); the endpoint hashes it while
it streams to disk and moves it into private storage. The reference is `cp` of the same
file plus `openssl dgst -sha256` of the copy: the same bytes written once and hashed once,
by the same OpenSSL SHA-256 that Python's hashlib uses (coreutils' `sha256sum` is several
times slower and flattered the upload). Reference and upload take turns, round by round;
the ratio is given per round, as the median and the range.

Encryption at rest is on, as in production; `BENCH_DOCUMENT_ENCRYPTION=0 bench/run.py 4`
measures without it (the upload is then moved into storage, not encrypted into it).

Memory: the worker's VmHWM (peak resident set) is read after a warm-up upload of 1 MB and
again after the large ones; the growth must stay under 16 MB, i.e. nothing holds the file.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import random
import re
import struct
import subprocess
import time
from pathlib import Path

from bench.harness import (
    HOST,
    WEB_PORT,
    Check,
    Stack,
    cpu_seconds,
    http_get,
    median_range,
    noise_note,
    spread,
    vm_hwm_kb,
)

SIZE = 200_000_000  # under UPLOAD_MAX_FILE_BYTES (200 MiB)
ROUNDS = 3  # interleaved: reference, upload, reference, upload, ...
URL = f"http://{HOST}:{WEB_PORT}/submit/uploads/"
TUS_PATH = "/submit/uploads/resumable/"


def write_dicom(path: Path, size: int) -> None:
    """A valid DICOM file of exactly `size` bytes: metadata, then one large pixel element."""
    from pydicom import dcmwrite
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.PatientName = "Synthetic^Bench"
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    header = buffer.getvalue()
    # (7FE0,0010) Pixel Data, explicit VR OB: tag, VR, two reserved bytes, 32-bit length.
    length = size - len(header) - 12
    length -= length % 2  # DICOM values have even lengths
    seeded = random.Random(8)  # noqa: S311 (filler bytes, not secrets; same file every run)
    with path.open("wb") as out:
        out.write(header)
        out.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, length))
        left = length
        while left:
            chunk = min(left, 4 * 1024 * 1024)
            out.write(seeded.randbytes(chunk))
            left -= chunk
        out.write(b"\x00" * (size - len(header) - 12 - length))


def _reference(source: Path, copy: Path) -> tuple[float, str]:
    """Seconds for `cp` + `openssl dgst -sha256` of the copy, and the digest it printed."""
    copy.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        ["bash", "-c", 'cp "$1" "$2" && openssl dgst -sha256 "$2"', "-", str(source), str(copy)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - start
    copy.unlink()
    # "SHA2-256(path)= <hex>" (OpenSSL 3) or "SHA256(path)= <hex>": the digest is last.
    return elapsed, done.stdout.split()[-1]


def _session() -> tuple[dict[str, str], str, str]:
    """Cookies and a CSRF token, as the intake page gives a browser."""
    from django.conf import settings

    name = settings.CSRF_COOKIE_NAME
    page = http_get("/submit/")
    cookies = page.cookies()
    token = ""
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if found:
        token = found.group(1).decode()
    elif name in cookies:
        token = cookies[name]
    source = "/submit/"
    if not token:
        # The intake page does not hand out a token yet: the admin sign-in page does.
        page = http_get("/admin/login/")
        cookies |= page.cookies()
        token = cookies.get(name, "")
        source = "/admin/login/ (no CSRF token on /submit/)"
    return cookies, token, source


def _upload(path: Path, cookies: dict[str, str], token: str) -> tuple[float, int, dict]:
    """Seconds, status and JSON answer; cookies the answer sets are added to `cookies`."""
    headers = path.with_suffix(".headers")
    start = time.perf_counter()
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "-D",
            str(headers),
            # No "Expect: 100-continue" pause before the body.
            "-H",
            "Expect:",
            "-H",
            f"Cookie: {_cookie(cookies)}",
            "-H",
            f"X-CSRFToken: {token}",
            "-F",
            "category=imaging",
            "-F",
            f"file=@{path};type=application/dicom;filename=scan.dcm",
            URL,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    elapsed = time.perf_counter() - start
    body, _, status = done.stdout.rpartition("\n")
    for line in headers.read_text(errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "set-cookie":
            cookie_name, _, rest = value.strip().partition("=")
            cookies[cookie_name] = rest.split(";", 1)[0]
    try:
        payload = json.loads(body) if body else {}
    except json.JSONDecodeError:
        payload = {"error": body}
    return elapsed, int(status or 0), payload


def _tus_upload(path: Path, cookies: dict[str, str], token: str) -> tuple[float, int, dict]:
    """Seconds, status and the finished upload's JSON, through the resumable protocol."""
    from django.conf import settings

    piece = settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES
    size = path.stat().st_size
    common = {"Cookie": _cookie(cookies), "X-CSRFToken": token, "Tus-Resumable": "1.0.0"}
    name = base64.b64encode(b"scan.dcm").decode()
    kind = base64.b64encode(b"imaging").decode()
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, WEB_PORT, timeout=180)
    try:
        connection.request(
            "POST",
            TUS_PATH,
            headers={
                **common,
                "Upload-Length": str(size),
                "Upload-Metadata": f"category {kind},filename {name}",
            },
        )
        answer = connection.getresponse()
        body = answer.read()
        if answer.status != 201:
            return time.perf_counter() - start, answer.status, _json(body)
        location = answer.getheader("Location", "")
        offset = 0
        with path.open("rb") as source:
            while offset < size:
                count = min(piece, size - offset)
                connection.putrequest("PATCH", location, skip_accept_encoding=True)
                for header, value in {
                    **common,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                    "Content-Length": str(count),
                }.items():
                    connection.putheader(header, value)
                connection.endheaders()
                connection.sock.sendfile(source, offset, count)
                answer = connection.getresponse()
                body = answer.read()
                if answer.status != 204:
                    return time.perf_counter() - start, answer.status, _json(body)
                offset = int(answer.getheader("Upload-Offset", ""))
        connection.request("GET", location, headers=common)
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - start
    payload = _json(body)
    document = payload.get("document") or {}
    return elapsed, 201 if document else answer.status, {**payload, **document}


def _json(body: bytes) -> dict:
    try:
        return json.loads(body) if body else {}
    except json.JSONDecodeError:
        return {"error": body.decode(errors="replace")}


def _error(payload: dict) -> str:
    """The endpoint's reason, on one line (an HTML error page is summarised by its title)."""
    text = str(payload.get("error", payload))
    title = re.search(r"<title>\s*(.*?)\s*</title>", text, re.S | re.I)
    if title:
        text = "HTML page: " + title.group(1)
    return " ".join(text.split())[:160]


def _not_run(reason: str) -> list[Check]:
    return [
        Check("4 upload", "resumable (tus) vs cp+openssl sha256", None, ">=", 0.8, note=reason),
        Check("4 upload", "multipart vs cp+openssl sha256", None, ">=", 0.8, note=reason),
        Check("4 upload", "worker peak RSS growth", None, "<", 16, "MB", note=reason),
    ]


def measure_upload(stack: Stack) -> list[Check]:
    from django.core.files.storage import storages

    from records.encryption import encrypted_size
    from records.models import Document

    source = stack.root / "scan.dcm"
    small = stack.root / "small.dcm"
    write_dicom(source, SIZE)
    write_dicom(small, 1_000_000)
    stack.start_gunicorn(workers=1, extra=["--max-requests", "0"])
    workers = stack.gunicorn_workers()
    if len(workers) != 1:
        return _not_run(f"expected one gunicorn worker, found {len(workers)}")
    worker = workers[0]

    cookies, token, csrf_from = _session()
    _, status, payload = _upload(small, cookies, token)
    if status != 201:
        return _not_run(f"warm-up upload answered {status}: {_error(payload)}")
    warm_cookies, warm_token, _source = _session()
    _, status, payload = _tus_upload(small, warm_cookies, warm_token)
    if status != 201:
        return _not_run(f"warm-up resumable upload answered {status}: {_error(payload)}")
    before_kb = vm_hwm_kb(worker)

    references: list[float] = []
    references_tus: list[float] = []
    uploads: list[float] = []
    resumables: list[float] = []
    cpu: dict[str, list[float]] = {"multipart": [], "resumable": []}
    digest = ""
    stored = None
    for _ in range(ROUNDS):
        for kind, send, times in (
            ("multipart", _upload, uploads),
            ("resumable", _tus_upload, resumables),
        ):
            elapsed, digest = _reference(source, stack.root / "copy.dcm")
            if kind == "multipart":
                references.append(elapsed)
            else:
                references_tus.append(elapsed)
            # A new visitor each time: the same bytes sent twice to one draft are kept once.
            cookies, token, _source = _session()
            cpu_before = cpu_seconds(worker)
            elapsed, status, payload = send(source, cookies, token)
            cpu[kind].append(cpu_seconds(worker) - cpu_before)
            if status != 201:
                return _not_run(f"{kind} upload answered {status}: {_error(payload)}")
            stored = Document.objects.get(public_id=payload["id"])
            on_disk = storages["private"].size(stored.storage_name)
            expected_on_disk = encrypted_size(SIZE) if stored.wrapped_key else SIZE
            if stored.sha256 != digest or stored.size != SIZE or on_disk != expected_on_disk:
                return _not_run(
                    f"the stored file's hash or size is wrong after the {kind} upload "
                    f"({stored.size} bytes recorded, {on_disk} on disk, {stored.sha256})"
                )
            times.append(elapsed)
    after_kb = vm_hwm_kb(worker)
    if stack.gunicorn_workers() != [worker]:
        return _not_run("the gunicorn worker was replaced during the run")

    ratios = [ref / up for ref, up in zip(references, uploads, strict=True)]
    tus_ratios = [ref / up for ref, up in zip(references_tus, resumables, strict=True)]
    growth_mb = (after_kb - before_kb) / 1024
    mb = SIZE / 1_000_000
    all_references = references + references_tus
    encryption = "on" if stored is not None and stored.wrapped_key else "off"
    tus_figures = (
        f"ratio per round {spread(tus_ratios, unit='×')}; resumable upload "
        f"{spread(resumables, unit=' s')}, {mb / median_range(resumables)[0]:,.0f} MB/s in "
        f"pieces of {_piece_mb():.0f} MiB; cp+openssl sha256 "
        f"{spread(all_references, unit=' s')}, "
        f"{mb / median_range(all_references)[0]:,.0f} MB/s; stored file's size and hash "
        f"match; encryption at rest {encryption}; web worker CPU "
        f"{spread(cpu['resumable'], unit=' s')} per upload"
    )
    figures = (
        f"ratio per round {spread(ratios, unit='×')}; multipart upload "
        f"{spread(uploads, unit=' s')}, {mb / median_range(uploads)[0]:,.0f} MB/s; "
        f"stored file's size and hash match; encryption at rest {encryption}; web worker CPU "
        f"{spread(cpu['multipart'], unit=' s')} per upload"
    )
    notes = [noise_note(ratios, 0.8)]
    if csrf_from != "/submit/":
        notes.append(f"CSRF token from {csrf_from}")
    note = "; ".join(n for n in notes if n)
    return [
        Check(
            "4 upload",
            "resumable (tus) vs cp+openssl sha256",
            median_range(tus_ratios)[0],
            ">=",
            0.8,
            figures=tus_figures,
            note=noise_note(tus_ratios, 0.8),
        ),
        Check(
            "4 upload",
            "multipart vs cp+openssl sha256",
            median_range(ratios)[0],
            ">=",
            0.8,
            figures=figures,
            note=note,
        ),
        Check(
            "4 upload",
            "worker peak RSS growth",
            growth_mb,
            "<",
            16,
            "MB",
            figures=f"VmHWM {before_kb / 1024:.1f} MB → {after_kb / 1024:.1f} MB, both paths",
        ),
    ]


def _piece_mb() -> float:
    from django.conf import settings

    return settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES / 1024 / 1024


def _cookie(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
