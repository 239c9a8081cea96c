"""The name a document is stored and served under, derived from the one it was sent with.

A name is shown to coordinators and becomes the download's file name, so it must neither
deceive (a right-to-left override turning `cod.exe` into `exe.doc`, a full-width dot hiding
a second extension) nor reach a file system as something special (a path, a Windows device
name). `display_name()` makes the given name harmless; `checked_name()` also refuses a name
whose extension is a program's or contradicts what the content really is, and ends the name
with the detected type's canonical extension.
"""

import re
import unicodedata
from mimetypes import MimeTypes
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

MAX_NAME = 120
FALLBACK = "document"

# Percent-encoded dots, separators and control bytes (also double-encoded, %252e): a name is
# never decoded here, but something downstream might, so these never survive as such.
_PERCENT_SPECIAL = re.compile(r"%(?:25)*(?:2e|2f|5c|3a|0[0-9a-f]|1[0-9a-f]|7f)", re.IGNORECASE)
# Look-alikes of separators and dots that NFKC leaves as they are.
_LOOKALIKES = {
    "\u2215": "_",  # division slash
    "\u2044": "_",  # fraction slash
    "\u29f8": "_",  # big solidus
    "\u29f9": "_",  # big reverse solidus
    "\u2216": "_",  # set minus
    "\ufe68": "_",  # small reverse solidus
    "\u3002": "_",  # ideographic full stop
    "\uff61": "_",  # halfwidth ideographic full stop
    "\u2e33": "_",  # raised dot
    "\u00b7": "_",  # middle dot
    "\u2027": "_",  # hyphenation point
    "\u0701": "_",  # Syriac supralinear full stop
    "\u0702": "_",  # Syriac sublinear full stop
    "\ua60e": "_",  # Vai full stop
    "\u06d4": "_",  # Arabic full stop
}
_UNSAFE = re.compile(r'[<>:"/\\|?*]+')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)$", re.I)

# How each kind of file is named to patients.
KIND_NAMES = {
    "pdf": "PDF",
    "jpeg": "JPEG",
    "png": "PNG",
    "tiff": "TIFF",
    "dicom": "DICOM",
    "zip": "ZIP of DICOM images",
}
CANONICAL_EXTENSION = {
    "pdf": ".pdf",
    "jpeg": ".jpg",
    "png": ".png",
    "tiff": ".tiff",
    "dicom": ".dcm",
    "zip": ".zip",
}
# Extensions a file of each kind may carry. DICOM files often carry none, or a number
# (`1.2.840.113619.2.55.3.320`), which says nothing about the type and is allowed.
ACCEPTED_EXTENSIONS = {
    "pdf": {".pdf"},
    "jpeg": {".jpg", ".jpeg", ".jpe", ".jfif", ".jfi", ".jif"},
    "png": {".png"},
    "tiff": {".tif", ".tiff"},
    "dicom": {".dcm", ".dicom", ".dic", ".dc3", ".ima"},
    "zip": {".zip"},
}
# Names that run as programs when opened on Windows, macOS or Linux, whatever the content.
EXECUTABLE_EXTENSIONS = {
    *[
        ".exe",
        ".com",
        ".scr",
        ".pif",
        ".cpl",
        ".dll",
        ".sys",
        ".drv",
        ".ocx",
        ".msi",
        ".msp",
        ".mst",
        ".msc",
        ".bat",
        ".cmd",
        ".ps1",
        ".psm1",
        ".psd1",
        ".vbs",
        ".vbe",
        ".js",
        ".jse",
        ".mjs",
        ".wsf",
        ".wsh",
        ".wsc",
        ".hta",
        ".lnk",
        ".url",
        ".inf",
        ".reg",
        ".scf",
        ".jar",
        ".class",
        ".apk",
        ".app",
        ".dmg",
        ".pkg",
        ".command",
        ".sh",
        ".bash",
        ".zsh",
        ".csh",
        ".ksh",
        ".py",
        ".pyw",
        ".pyc",
        ".pl",
        ".rb",
        ".php",
        ".elf",
        ".run",
        ".so",
        ".dylib",
        ".appref-ms",
        ".application",
        ".gadget",
        ".xbap",
        ".vb",
        ".ws",
        ".iqy",
        ".settingcontent-ms",
        ".library-ms",
        ".chm",
        ".cab",
        ".docm",
        ".xlsm",
        ".pptm",
        ".dotm",
        ".xlam",
    ],
}
# A type-neutral table (not the machine's /etc/mime.types), so answers never vary by host.
_MIME = MimeTypes()
_KNOWN_EXTENSIONS = (
    set(_MIME.types_map[True])
    | {ext for exts in ACCEPTED_EXTENSIONS.values() for ext in exts}
    | EXECUTABLE_EXTENSIONS
    | {".heic", ".heif", ".webp", ".docx", ".xlsx", ".pptx", ".odt", ".rar", ".7z", ".dwg"}
)


def display_name(given: str | None) -> str:
    """The given name made harmless to display and to save under on any system."""
    name = given or ""
    # A browser may send a whole path; only its last part is the file's name.
    name = re.split(r"[/\\]", name)[-1]
    name = unicodedata.normalize("NFKC", name)
    name = _PERCENT_SPECIAL.sub("_", name)
    name = "".join(_char(c) for c in name)
    # NFKC turns full-width separators into real ones, so look again.
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(". ")
    name = re.sub(r"\.{2,}", ".", name)
    base, dot, rest = name.partition(".")
    if _WINDOWS_DEVICES.match(base.strip()):
        name = f"{base.strip()}_{dot}{rest}"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - 10] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:120]
    return name or FALLBACK


def _char(c: str) -> str:
    if c in _LOOKALIKES:
        return _LOOKALIKES[c]
    category = unicodedata.category(c)
    if category in {"Cf", "Cs", "Co", "Cn"}:
        # Invisible format characters: bidirectional overrides and isolates, zero-width
        # spaces and joiners, soft hyphens, byte-order marks; and nothing unassigned.
        return ""
    if category == "Cc":
        return "_"
    if category in {"Zl", "Zp"} or c in "\u115f\u1160\u3164\uffa0\u2800":
        # Line breaks, and the Hangul fillers and braille blank that render as nothing.
        return " "
    return c


def extension_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower() if "." in name.strip(".") else ""


def name_problem(name: str, kind: str | None) -> str:
    """Why a file called `name` (already through display_name) cannot be accepted as
    `kind`, or "" when it can. `kind` None: the content is not known yet."""
    ext = extension_of(name)
    if ext in EXECUTABLE_EXTENSIONS:
        return _(
            "The file's name ends in “%(ext)s”, which is for programs, not medical documents. "
            "We never accept programs."
        ) % {"ext": ext}
    if kind is None or not ext or ext in ACCEPTED_EXTENSIONS[kind]:
        return ""
    if ext in _KNOWN_EXTENSIONS:
        return _(
            "The file is called “%(name)s” but it is really a %(kind)s. Please check you "
            "chose the right file, or send it under a name that ends in “%(canonical)s”."
        ) % {"name": name, "kind": KIND_NAMES[kind], "canonical": CANONICAL_EXTENSION[kind]}
    return ""


def stored_name(name: str, kind: str) -> str:
    """`name` ending in the canonical extension of `kind` (replacing an accepted one)."""
    stem = name
    if extension_of(name) in ACCEPTED_EXTENSIONS[kind]:
        stem = name[: -len(extension_of(name))].rstrip(". ") or FALLBACK
    canonical = CANONICAL_EXTENSION[kind]
    return stem[: MAX_NAME - len(canonical)] + canonical
