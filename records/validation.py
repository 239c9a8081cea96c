"""What a file really is, decided by its content and a real parse, never by its name.

`inspect_file(path, category)` returns the kind and content type of an acceptable file or
raises `FileRefused` with a reason a patient can read. The checks run on the temporary
copy, before anything reaches private storage, so a refused file leaves nothing behind.
A file that is not on disk in plain (a resumable upload, sealed as it arrived) is checked
through an `Inspectable`: its size, and seekable streams of its plaintext.
"""

import re
import stat
import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO, Protocol

import magic
import pikepdf
import pydicom
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image
from pydicom.dataelem import DataElement, RawDataElement

from records.filenames import KIND_NAMES, name_problem
from records.models import DocumentCategory


class FileRefused(Exception):
    """A file we will not store; `reason` is shown to the person who sent it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Inspectable(Protocol):
    """A file to check that is only readable as a stream (records/partials.PlainView)."""

    size: int

    def open(self, mode: str = "rb") -> BinaryIO: ...


# What the checks read: a plaintext file on disk, or an Inspectable.
Source = Path | Inspectable


def _size(source: Source) -> int:
    return source.stat().st_size if isinstance(source, Path) else source.size


@dataclass(frozen=True, slots=True)
class Inspection:
    kind: str
    content_type: str


PDF, JPEG, PNG, TIFF, DICOM, ZIP = "pdf", "jpeg", "png", "tiff", "dicom", "zip"
CONTENT_TYPES = {
    PDF: "application/pdf",
    JPEG: "image/jpeg",
    PNG: "image/png",
    TIFF: "image/tiff",
    DICOM: "application/dicom",
    ZIP: "application/zip",
}
_DOCUMENTS = frozenset({PDF, JPEG, PNG, TIFF})
ALLOWED_KINDS: dict[str, frozenset[str]] = {
    DocumentCategory.PATHOLOGY: _DOCUMENTS,
    DocumentCategory.HER2: _DOCUMENTS,
    DocumentCategory.SURGERY: _DOCUMENTS,
    DocumentCategory.CHEMOTHERAPY: _DOCUMENTS,
    DocumentCategory.IMAGING: _DOCUMENTS | {DICOM, ZIP},
    DocumentCategory.OTHER: _DOCUMENTS | {DICOM},
}

# Program headers, whatever the file is called: Windows PE, ELF, Mach-O (both byte orders,
# 32/64-bit, universal), scripts with a #! line.
_EXECUTABLE_HEADS = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
_EXECUTABLE_MIMES = {
    "application/x-dosexec",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-elf",
    "application/vnd.microsoft.portable-executable",
    "application/x-msi",
    "application/x-ms-shortcut",
    "application/java-archive",
    "application/x-java-applet",
    "text/x-shellscript",
    "text/x-python",
    "text/x-script.python",
    "text/x-perl",
    "text/x-php",
    "application/javascript",
    "text/javascript",
    "application/x-bat",
    "text/x-msdos-batch",
}
_ARCHIVE_HEADS = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh")
_ARCHIVE_SUFFIXES = {".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".cab", ".iso"}
_MARKUP = (b"<script", b"<html", b"<!doctype html", b"<?php", b"<svg", b"<iframe")
_DOS_STUB = b"This program cannot be run in DOS mode"
# Image decoding happens in memory: refuse what would need more than ~500 MB to decode.
MAX_IMAGE_PIXELS = 120_000_000
MAX_TIFF_FRAMES = 500

PROGRAM = _(
    "This is a program or script, not a medical document. We never accept programs, "
    "whatever the file is called."
)
DAMAGED = _(
    "The file is damaged or incomplete (perhaps cut off while copying). Please send it again."
)


def _read_ends(fh: BinaryIO, size: int) -> tuple[bytes, bytes]:
    fh.seek(0)
    head = fh.read(8192)
    fh.seek(max(0, size - 65536))
    tail = fh.read(65536)
    return head, tail


def inspect_file(
    path: str | Path | Inspectable, category: str, name: str | None = None
) -> Inspection:
    """Decide what the file at `path` is and whether `category` accepts it; with `name`
    (already through `filenames.display_name`), also whether that name fits the content."""
    path = Path(path) if isinstance(path, str | Path) else path
    size = _size(path)
    if size == 0:
        raise FileRefused(_("The file is empty."))
    with path.open("rb") as fh:
        head, tail = _read_ends(fh, size)
    if head.startswith(_EXECUTABLE_HEADS) or _DOS_STUB in head:
        raise FileRefused(PROGRAM)
    mime = magic.from_buffer(head, mime=True)
    if mime in _EXECUTABLE_MIMES:
        raise FileRefused(PROGRAM)
    kind = _kind_of(head, mime)
    allowed = ALLOWED_KINDS.get(category, frozenset())
    if kind not in allowed:
        names = ", ".join(KIND_NAMES[k] for k in sorted(allowed))
        label = (
            DocumentCategory(category).label if category in DocumentCategory.values else category
        )
        found = _("ZIP archive") if kind == ZIP else KIND_NAMES[kind]
        raise FileRefused(
            _("Files under “%(category)s” can only be: %(names)s. This file is a %(kind)s.")
            % {"category": label, "names": names, "kind": found}
        )
    try:
        _refuse_polyglots(path, kind, head, tail)
        FORMAT_CHECKS[kind](path, kind, tail)
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - a parser's crash on a file is a broken file
        raise FileRefused(DAMAGED) from None
    if name is not None and (problem := name_problem(name, kind)):
        raise FileRefused(problem)
    return Inspection(kind=kind, content_type=CONTENT_TYPES[kind])


def _kind_of(head: bytes, mime: str) -> str:
    if head[128:132] == b"DICM":
        return DICOM
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff") and mime == "image/jpeg":
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n") and mime == "image/png":
        return PNG
    if head[:4] in (b"II*\x00", b"MM\x00*") and mime == "image/tiff":
        return TIFF
    if head.startswith(b"PK\x03\x04") and mime == "application/zip":
        return ZIP
    if b"%PDF-" in head[:1024]:
        # Readers accept a PDF header anywhere in the first kilobyte, which is how
        # something else gets dressed up as a PDF.
        raise FileRefused(
            _("The file has something hidden in front of a PDF. Please send the PDF itself.")
        )
    raise FileRefused(
        _(
            "We can't accept this type of file (it looks like %(mime)s). Please send PDF, "
            "JPEG, PNG or TIFF documents, DICOM images, or a ZIP of DICOM images."
        )
        % {"mime": mime}
    )


def _refuse_polyglots(path: Source, kind: str, head: bytes, tail: bytes) -> None:
    """A file that is also another format can be opened as the other one later."""
    hidden = _(
        "The file is also another kind of file hidden inside (%(what)s), so we can't accept it."
    )
    if kind != ZIP and _is_zipfile(path):
        raise FileRefused(hidden % {"what": "ZIP archive"})
    if kind != PDF and b"%PDF-" in head[:1024]:
        raise FileRefused(hidden % {"what": "PDF"})
    if _DOS_STUB in tail:
        raise FileRefused(hidden % {"what": _("a program")})
    if kind != PDF:
        lowered = (head + tail).lower()
        if any(marker in lowered for marker in _MARKUP):
            raise FileRefused(hidden % {"what": _("web page or script code")})


def _is_zipfile(path: Source) -> bool:
    with path.open("rb") as fh:
        return zipfile.is_zipfile(fh)


# --- PDF ---------------------------------------------------------------------------------

_PDF_ACTIVE_KEYS = {
    "/JS": _("JavaScript"),
    "/JavaScript": _("JavaScript"),
    "/Launch": _("an action that starts a program"),
    "/EmbeddedFiles": _("embedded files"),
    "/EmbeddedFile": _("embedded files"),
    "/EF": _("embedded files"),
    "/RichMedia": _("embedded media"),
    "/RichMediaContent": _("embedded media"),
    "/XFA": _("an interactive form with scripts"),
    "/AA": _("actions that run automatically"),
}
# A link the reader clicks is fine; a web address opened on its own is not.
_PDF_OPENING_ACTIONS = {"/URI": _("an action that opens a web address")}
_PDF_MEDIA_SUBTYPES = {"/RichMedia", "/Movie", "/Sound", "/Screen", "/3D", "/FileAttachment"}
_PDF_BAD_ACTIONS = {
    "/JavaScript": _("JavaScript"),
    "/Launch": _("an action that starts a program"),
    "/SubmitForm": _("an action that sends data away"),
    "/ImportData": _("an action that imports data"),
    "/GoToR": _("an action that opens another file"),
    "/GoToE": _("an action that opens an embedded file"),
    "/Rendition": _("an action that plays media"),
}


def _refuse_pdf(what: str) -> FileRefused:
    return FileRefused(
        _(
            "This PDF contains %(what)s, which we don't accept. "
            "Please print it to a new PDF or scan it."
        )
        % {"what": what}
    )


# The end of a complete PDF: `startxref`, the offset of the last cross-reference section,
# and `%%EOF` as the last line. A `%%EOF` anywhere else (inside page text, say) is not one.
_PDF_TRAILER = re.compile(rb"startxref[\r\n\t ]+(\d{1,15})[\r\n\t ]+%%EOF[\r\n\t ]*\Z")
_PDF_XREF_AT = re.compile(rb"(?:xref|\d{1,10}[\r\n\t ]+\d{1,5}[\r\n\t ]+obj)")


def _check_pdf_trailer(path: Source, tail: bytes) -> None:
    """A lenient reader rebuilds a PDF whose end is missing; we want the whole file."""
    found = _PDF_TRAILER.search(tail)
    if found is None:
        raise FileRefused(DAMAGED)
    offset = int(found.group(1))
    with path.open("rb") as fh:
        fh.seek(offset)
        if offset >= _size(path) or not _PDF_XREF_AT.match(fh.read(64)):
            raise FileRefused(DAMAGED)


def _check_pdf(path: Source, kind: str, tail: bytes) -> None:
    _check_pdf_trailer(path, tail)
    if isinstance(path, Path):
        _check_pdf_document(path)
        return
    with path.open("rb") as fh:
        _check_pdf_document(fh)


def _check_pdf_document(source: Path | BinaryIO) -> None:
    try:
        pdf = pikepdf.open(source, attempt_recovery=False)
    except pikepdf.PasswordError:
        raise FileRefused(
            _("This PDF is protected by a password. Please send it without one.")
        ) from None
    except (pikepdf.PdfError, ValueError, RuntimeError):
        raise FileRefused(DAMAGED) from None
    with pdf:
        if pdf.is_encrypted:
            raise FileRefused(_("This PDF is encrypted. Please send it without protection."))
        try:
            if len(pdf.pages) == 0:
                raise FileRefused(_("This PDF has no pages."))
            for obj in pdf.objects:
                _walk_pdf_object(obj)
        except pikepdf.PdfError:
            raise FileRefused(DAMAGED) from None


def _walk_pdf_object(obj: pikepdf.Object, depth: int = 0) -> None:
    """Check an indirect object and the direct objects nested in it (indirect children
    are visited on their own by the caller's loop over every object)."""
    if depth > 64:
        raise FileRefused(DAMAGED)
    if isinstance(obj, pikepdf.Stream):
        _check_pdf_dictionary(obj.stream_dict)
        children = list(obj.stream_dict.values())
    elif isinstance(obj, pikepdf.Dictionary):
        _check_pdf_dictionary(obj)
        children = list(obj.values())
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return
    for child in children:
        if isinstance(child, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)) and not (
            child.is_indirect
        ):
            _walk_pdf_object(child, depth + 1)


_PDF_URI_SCHEMES = {"http", "https", "mailto"}
_URI_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def _check_pdf_uri(value: object) -> None:
    """A link may open a web page or write an email; nothing else (javascript:, file:,
    smb:, a custom app's scheme, a relative path resolved against the file's folder)."""
    if isinstance(value, (pikepdf.String, str)):
        text = str(value)  # pikepdf decodes PDFDocEncoding and UTF-16 alike
    else:
        raise _refuse_pdf(_("a link whose address is not a web address"))
    # Readers skip leading blanks and control characters ("\x01javascript:…").
    text = "".join(c for c in text if c > " ").strip()
    scheme = _URI_SCHEME.match(text)
    if scheme is None or scheme.group(1).lower() not in _PDF_URI_SCHEMES:
        if scheme is not None and scheme.group(1).lower() == "javascript":
            raise _refuse_pdf(_("JavaScript"))
        raise _refuse_pdf(_("a link whose address is not a web address"))


def _check_pdf_dictionary(obj: pikepdf.Object) -> None:
    keys = set(obj.keys())
    action = obj.get("/S")
    if isinstance(action, pikepdf.Name) and str(action) in _PDF_BAD_ACTIONS:
        raise _refuse_pdf(_PDF_BAD_ACTIONS[str(action)])
    if action == pikepdf.Name.URI or "/URI" in keys:
        uri = obj.get("/URI")
        if not isinstance(uri, pikepdf.Dictionary):  # a catalog's /URI holds only /Base
            _check_pdf_uri(uri)
        elif "/Base" in uri:
            _check_pdf_uri(uri.get("/Base"))
    opener = obj.get("/OpenAction")
    if isinstance(opener, pikepdf.Dictionary):
        what = {**_PDF_BAD_ACTIONS, **_PDF_OPENING_ACTIONS}.get(str(opener.get("/S")))
        if what:
            raise _refuse_pdf(what)
    for key, what in _PDF_ACTIVE_KEYS.items():
        if key in keys:
            raise _refuse_pdf(what)
    if str(obj.get("/Subtype")) in _PDF_MEDIA_SUBTYPES:
        raise _refuse_pdf(_("embedded media or files"))
    if obj.get("/Type") == pikepdf.Name.Filespec and "/EF" in keys:
        raise _refuse_pdf(_("embedded files"))
    opener = obj.get("/OpenAction")
    # Word processors set /OpenAction to a page to show first; only an action is refused.
    if isinstance(opener, pikepdf.Dictionary) and opener.get("/S") != pikepdf.Name.GoTo:
        raise _refuse_pdf(_("an action that runs when it is opened"))


# --- images ------------------------------------------------------------------------------

_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", TIFF: "TIFF"}
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _check_tiff_chain(path: Source) -> None:
    """Follow the chain of image directories: Pillow stops quietly at a loop or at a
    directory that lies outside the file, which is a broken file (or a trap) to us."""
    size = _size(path)
    with path.open("rb") as fh:
        order = "<" if fh.read(2) == b"II" else ">"
        fh.seek(4)
        (offset,) = struct.unpack(order + "I", fh.read(4))
        seen: set[int] = set()
        while offset:
            if offset in seen or offset % 2 or offset < 8 or offset + 2 > size:
                raise FileRefused(DAMAGED)
            if len(seen) >= MAX_TIFF_FRAMES:
                raise FileRefused(_("This image has too many pages."))
            seen.add(offset)
            fh.seek(offset)
            (entries,) = struct.unpack(order + "H", fh.read(2))
            end = offset + 2 + entries * 12
            if entries == 0 or end + 4 > size:
                raise FileRefused(DAMAGED)
            fh.seek(end)
            (offset,) = struct.unpack(order + "I", fh.read(4))


def _check_image(path: Source, kind: str, tail: bytes) -> None:
    if kind == TIFF:
        _check_tiff_chain(path)
    if kind == PNG and not tail.endswith(_PNG_END):
        raise FileRefused(_png_or_jpeg_end(tail, _PNG_END))
    if kind == JPEG:
        trimmed = tail.rstrip(b"\x00")
        if not trimmed.endswith(b"\xff\xd9"):
            raise FileRefused(_png_or_jpeg_end(trimmed, b"\xff\xd9"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with path.open("rb") as fh, Image.open(fh) as img:
                if img.format != _PIL_FORMATS[kind]:
                    raise FileRefused(DAMAGED)
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise FileRefused(_("This image is too large to open safely."))
                img.verify()
            with path.open("rb") as fh, Image.open(fh) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > MAX_TIFF_FRAMES:
                    raise FileRefused(_("This image has too many pages."))
                for frame in range(frames):
                    img.seek(frame)
                    if img.width * img.height > MAX_IMAGE_PIXELS:
                        raise FileRefused(_("This image is too large to open safely."))
                    img.load()
        except FileRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileRefused(_("This image is too large to open safely.")) from None
        except Exception:  # noqa: BLE001 - any decoder failure means a broken image
            raise FileRefused(DAMAGED) from None


def _png_or_jpeg_end(tail: bytes, end: bytes) -> str:
    if end in tail:
        return _("The image has extra data after its end, so we can't accept it.")
    return DAMAGED


# --- DICOM -------------------------------------------------------------------------------


def _check_dicom(path: Source, kind: str, tail: bytes) -> None:
    with path.open("rb") as fh:
        _check_dicom_stream(fh, _size(path))


def _check_dicom_stream(fh: IO[bytes], size: int) -> None:
    head = fh.read(132)
    if head[128:132] != b"DICM":
        raise FileRefused(_("This is not a DICOM image."))
    if any(head[:128]):
        raise FileRefused(
            _(
                "This DICOM file's 128-byte preamble is not empty; it could hide a program. "
                "Please export the images again from the imaging software."
            )
        )
    fh.seek(0)
    try:
        # Large values (the pixels) are not read into memory, only skipped over.
        ds = pydicom.dcmread(fh, defer_size=4096)
        ds.file_meta.TransferSyntaxUID  # noqa: B018 - must be present
        _check_dicom_complete(ds, size)
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - pydicom and struct errors all mean a broken file
        raise FileRefused(DAMAGED) from None


# What a DICOM file is for: image pixels, a directory of an imaging CD, a report or an
# embedded document. A file cut just before them parses, but carries nothing.
_DICOM_PAYLOADS = (0x7FE00010, 0x00041220, 0x0040A730, 0x00420011)
_UNDEFINED = 0xFFFFFFFF


def _check_dicom_complete(ds: pydicom.Dataset, size: int) -> None:
    """pydicom stops quietly at the end of the file, even inside an element: check that the
    last element ends exactly where the file does and that the pixels are all there."""
    last_tell, last_end = -1, None
    for tag in list(ds.keys()):
        # keep_deferred: look at where the value lies without reading it.
        # pydicom's overloads name only the converted element; keep_deferred gives the raw one.
        raw: DataElement | RawDataElement = ds.get_item(tag, keep_deferred=True)
        if not isinstance(raw, RawDataElement) or raw.value_tell is None:
            continue
        tell = raw.value_tell
        if raw.length != _UNDEFINED:
            end = tell + raw.length
        elif isinstance(raw.value, bytes):
            end = tell + len(raw.value) + 8  # the value, then its delimiter item
        else:
            end = None
        if end is not None and end > size:
            raise FileRefused(DAMAGED)
        if tell > last_tell:
            last_tell, last_end = tell, end
    if last_end is not None and last_end != size:
        raise FileRefused(DAMAGED)
    if not any(tag in ds for tag in _DICOM_PAYLOADS):
        raise FileRefused(DAMAGED)
    if 0x7FE00010 in ds and not ds.file_meta.TransferSyntaxUID.is_encapsulated:
        pixels: DataElement | RawDataElement = ds.get_item(0x7FE00010, keep_deferred=True)
        bits = int(ds.get("BitsAllocated", 8))
        if isinstance(pixels, RawDataElement) and bits >= 8 and pixels.length != _UNDEFINED:
            expected = (
                int(ds.get("Rows", 0))
                * int(ds.get("Columns", 0))
                * int(ds.get("SamplesPerPixel", 1))
                * int(ds.get("NumberOfFrames", 1) or 1)
                * (bits // 8)
            )
            if pixels.length < expected:
                raise FileRefused(DAMAGED)


# --- ZIP of DICOM ------------------------------------------------------------------------


def _check_zip(path: Source, kind: str, tail: bytes) -> None:
    max_entries = settings.UPLOAD_ZIP_MAX_ENTRIES
    max_total = settings.UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES
    max_ratio = settings.UPLOAD_ZIP_MAX_RATIO
    size = _size(path)
    try:
        with path.open("rb") as fh, zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            if not infos or all(info.is_dir() for info in infos):
                raise FileRefused(_("The archive is empty."))
            if len(infos) > max_entries:
                raise FileRefused(
                    _("The archive holds too many files (more than %(n)d). Please split it.")
                    % {"n": max_entries}
                )
            if min(info.header_offset for info in infos) != 0:
                raise FileRefused(_("The archive has something hidden in front of it."))
            total = sum(info.file_size for info in infos)
            if total > max_total or total > size * max_ratio:
                raise FileRefused(
                    _("The archive unpacks to far too much data, so we can't open it safely.")
                )
            found_dicom = False
            for info in infos:
                _check_zip_entry_header(info, max_ratio)
                if info.is_dir():
                    continue
                found_dicom |= _check_zip_entry_content(zf, info)
            if not found_dicom:
                raise FileRefused(_("The archive holds no DICOM images."))
            if zf.testzip() is not None:
                raise FileRefused(DAMAGED)
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - zlib, struct and zipfile errors: a broken archive
        raise FileRefused(DAMAGED) from None


def _check_zip_entry_header(info: zipfile.ZipInfo, max_ratio: int) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    # An imaging CD nests five or six folders deep (DICOM/PAT/STUDY/SERIES/IMAGE); far
    # deeper or longer paths break unpacking tools on the coordinators' machines.
    if (
        len(parts) > settings.UPLOAD_ZIP_MAX_DEPTH
        or len(name.encode()) > settings.UPLOAD_ZIP_MAX_PATH
        or any(len(part.encode()) > 128 for part in parts)
    ):
        raise FileRefused(
            _("The archive contains a file path that is too deep or too long (%(name)s).")
            % {"name": name[:80]}
        )
    if (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or ".." in parts
        or "\x00" in name
    ):
        raise FileRefused(
            _("The archive contains an unsafe file path (%(name)s).") % {"name": name[:80]}
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise FileRefused(
            _("The archive contains a link (%(name)s), which we don't accept.")
            % {"name": name[:80]}
        )
    if info.flag_bits & 0x1:
        raise FileRefused(_("The archive is protected by a password. Please send it without one."))
    if info.file_size > max(info.compress_size, 1) * max_ratio:
        raise FileRefused(
            _("The archive unpacks to far too much data, so we can't open it safely.")
        )
    if PurePosixPath(name.lower()).suffix in _ARCHIVE_SUFFIXES:
        raise FileRefused(_nested(name))


def _nested(name: str) -> str:
    return _("The archive contains another archive (%(name)s). Please unpack it first.") % {
        "name": name[:80]
    }


def _check_zip_entry_content(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True for a DICOM entry; plain text (a README) is allowed; anything else refused."""
    with zf.open(info) as entry:
        head = entry.read(2048)
    if head.startswith(_ARCHIVE_HEADS) or head[257:262] == b"ustar":
        raise FileRefused(_nested(info.filename))
    if (
        head.startswith(_EXECUTABLE_HEADS)
        or magic.from_buffer(head, mime=True) in _EXECUTABLE_MIMES
    ):
        raise FileRefused(
            _("The archive contains a program (%(name)s). Please send only the image files.")
            % {"name": info.filename[:80]}
        )
    if head[128:132] == b"DICM":
        with zf.open(info) as entry:
            try:
                _check_dicom_stream(entry, info.file_size)
            except FileRefused as refused:
                raise FileRefused(f"{info.filename[:80]}: {refused.reason}") from None
        return True
    if info.file_size == 0 or magic.from_buffer(head, mime=True) == "text/plain":
        if any(marker in head.lower() for marker in _MARKUP):
            raise FileRefused(_("The archive contains web page or script code."))
        return False
    raise FileRefused(
        _("The archive contains %(name)s, which is not a DICOM image.")
        % {"name": info.filename[:80]}
    )


FORMAT_CHECKS = {
    PDF: _check_pdf,
    JPEG: _check_image,
    PNG: _check_image,
    TIFF: _check_image,
    DICOM: _check_dicom,
    ZIP: _check_zip,
}
