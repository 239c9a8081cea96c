"""Fuzz the two places strangers' bytes come in: the pre-screen API and the upload validator.

No input may cause a server error, and nothing may be accepted that should not be: the API
answers 200 only for a JSON object of known fields; the validator accepts no random bytes
and no truncated document, and every mutated file it does accept opens cleanly in an
independent reader of its format.
"""

import io
import json
import zipfile

import pikepdf
import pydicom
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from navigation.eligibility import FIELD_NAMES
from records.models import DocumentCategory
from records.validation import FileRefused, inspect_file
from tests.records.files import dicom_bytes, dicom_zip_bytes, image_bytes, pdf_bytes

pytestmark = pytest.mark.drill

# Bad inputs tried and wrongly accepted, per target, for the run's closing figures.
FUZZ_FIGURES: dict[str, list[int]] = {}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)


def _count(target: str, accepted_wrongly: bool) -> None:
    tried, accepted = FUZZ_FIGURES.setdefault(target, [0, 0])
    FUZZ_FIGURES[target] = [tried + 1, accepted + int(accepted_wrongly)]


# --- the pre-screen API ------------------------------------------------------------------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["III", "IV", "3+", "2+", "positive", "unknown", "d2", "2026-01-10"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
profiles = st.dictionaries(
    st.one_of(st.sampled_from(sorted(FIELD_NAMES)), st.text(max_size=20)), json_value, max_size=12
)


def _post(client, body: bytes):
    client.raise_request_exception = False
    return client.post("/api/v1/prescreen/", body, content_type="application/json")


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.PRESCREEN_API_RATE_LIMIT = 0


@FUZZ
@given(body=st.binary(max_size=2048))
def test_the_api_survives_random_bytes(client, body):
    response = _post(client, body)
    assert response.status_code in (200, 400), response.status_code
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    wrongly = response.status_code == 200 and not isinstance(parsed, dict)
    _count("pre-screen API", wrongly)
    assert not wrongly


@FUZZ
@given(profile=profiles)
def test_the_api_accepts_only_objects_of_known_fields(client, profile):
    response = _post(client, json.dumps(profile).encode())
    assert response.status_code in (200, 400), response.status_code
    wrongly = response.status_code == 200 and not set(profile) <= set(FIELD_NAMES)
    _count("pre-screen API", wrongly)
    assert not wrongly
    if response.status_code == 200:
        assert "outcome" in response.json()
    else:
        assert response.json()["errors"]


# --- the upload validator ----------------------------------------------------------------

REAL_FILES = {
    "pdf": (pdf_bytes(), DocumentCategory.PATHOLOGY),
    "png": (image_bytes("PNG"), DocumentCategory.HER2),
    "jpeg": (image_bytes("JPEG"), DocumentCategory.SURGERY),
    "tiff": (image_bytes("TIFF"), DocumentCategory.OTHER),
    "dicom": (dicom_bytes(), DocumentCategory.IMAGING),
    "zip": (dicom_zip_bytes(2), DocumentCategory.IMAGING),
}
DOCUMENTS = sorted(set(REAL_FILES) - {"dicom", "zip"})
CATEGORIES = st.sampled_from(list(DocumentCategory.values))
CRASH = "crash"


def _inspect(tmp_path, data: bytes, category: str):
    """The validator's verdict: an Inspection, None (refused, with a reason) or CRASH (any
    other exception, which the upload view would turn into a server error)."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    try:
        return inspect_file(path, category)
    except FileRefused as refused:
        assert str(refused.reason).strip()  # a readable reason, always
        return None
    except Exception as exc:  # noqa: BLE001 - judged by the caller
        return f"{CRASH}: {type(exc).__name__}: {exc}"[:300]


def _dicom_complete(data: bytes) -> bool:
    ds = pydicom.dcmread(io.BytesIO(data))
    expected = ds.Rows * ds.Columns * ds.SamplesPerPixel * (ds.BitsAllocated // 8)
    return len(ds.PixelData) >= expected


def _opens_cleanly(kind: str, data: bytes) -> bool:
    try:
        if kind == "pdf":
            with pikepdf.open(io.BytesIO(data)) as pdf:
                return len(pdf.pages) > 0
        if kind in ("png", "jpeg", "tiff"):
            with Image.open(io.BytesIO(data)) as image:
                image.load()
            return True
        if kind == "dicom":
            return _dicom_complete(data)
        if kind == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return zf.testzip() is None and all(
                    _dicom_complete(zf.read(n)) for n in zf.namelist() if n.startswith("DICOM/")
                )
    except Exception:  # noqa: BLE001 - any failure to read means "not a clean file"
        return False
    return False


@FUZZ
@given(data=st.binary(min_size=0, max_size=4096), category=CATEGORIES)
def test_random_bytes_are_never_accepted(tmp_path, data, category):
    verdict = _inspect(tmp_path, data, category)
    _count("upload validator", verdict is not None)
    assert verdict is None


@FUZZ
@given(name=st.sampled_from(DOCUMENTS), cut=st.floats(0.0, 0.97))
def test_truncated_documents_are_never_accepted(tmp_path, name, cut):
    data, category = REAL_FILES[name]
    truncated = data[: int(len(data) * cut)]
    verdict = _inspect(tmp_path, truncated, category)
    _count("upload validator", verdict is not None)
    assert verdict is None, f"{name} cut to {len(truncated)} of {len(data)} bytes: {verdict}"


# Exhaustive, deterministic checks for two defects this fuzzing found in the validator (a
# DICOM file cut short was accepted or crashed it; corrupt deflate data in a ZIP escaped as
# zlib.error, a server error in the upload view), now fixed.
def test_every_truncation_of_a_dicom_file_is_refused(tmp_path):
    data, category = REAL_FILES["dicom"]
    verdicts = {n: _inspect(tmp_path, data[:n], category) for n in range(len(data))}
    bad = {n: v for n, v in verdicts.items() if v is not None}
    for n in verdicts:
        _count("upload validator", n in bad)
    assert not bad, (
        f"{len(bad)} of {len(data)} truncations not refused, e.g. {list(bad.items())[:3]}"
    )


def test_every_zeroed_byte_of_a_dicom_zip_is_refused_or_harmless(tmp_path):
    data, category = REAL_FILES["zip"]
    crashes = []
    for offset in range(0, len(data), 7):
        mutated = bytearray(data)
        mutated[offset] = 0
        verdict = _inspect(tmp_path, bytes(mutated), category)
        if isinstance(verdict, str):
            crashes.append((offset, verdict))
        _count("upload validator", isinstance(verdict, str))
    assert not crashes, f"{len(crashes)} crashes, e.g. {crashes[:2]}"


@FUZZ
@given(
    name=st.sampled_from(DOCUMENTS),
    edits=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_mutated_documents_are_refused_or_really_are_that_file(tmp_path, name, edits):
    data, category = REAL_FILES[name]
    mutated = bytearray(data)
    for where, value in edits:
        mutated[min(int(where * len(mutated)), len(mutated) - 1)] = value
    verdict = _inspect(tmp_path, bytes(mutated), category)
    wrongly = isinstance(verdict, str) or (
        verdict is not None and not _opens_cleanly(verdict.kind, bytes(mutated))
    )
    _count("upload validator", wrongly)
    assert not wrongly, f"a mutated {name} got {verdict} but does not open cleanly"


def _multipart(*, category: str, name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body as a browser sends it, with the file name exactly as given (the test
    client would reduce it to its last path part, or refuse "/" outright)."""
    boundary = "fuzz-boundary-5b0f1c9e8d7a4e2f"
    # Browsers percent-escape these three in a file name (HTML's multipart encoding).
    quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\n'
        f"{category}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode("utf-8", "replace") + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=2048),
        st.sampled_from(sorted(REAL_FILES)).flatmap(
            lambda n: st.integers(0, len(REAL_FILES[n][0])).map(
                lambda cut, n=n: REAL_FILES[n][0][:cut]
            )
        ),
    ),
    category=st.one_of(CATEGORIES, st.text(max_size=10)),
    name=st.text(max_size=60),
)
# Names that are only a path, or nothing once the path is taken away.
@example(data=b"%PDF-1.7", category="pathology", name="/")
@example(data=b"%PDF-1.7", category="pathology", name="../..")
@example(data=b"%PDF-1.7", category="pathology", name="")
def test_the_upload_endpoint_never_answers_with_a_server_error(client, data, category, name):
    client.raise_request_exception = False
    body, content_type = _multipart(category=category, name=name, data=data)
    response = client.post("/submit/uploads/", data=body, content_type=content_type)
    _count("upload endpoint", False)
    assert response.status_code in (201, 400), response.status_code
    assert response.json()
