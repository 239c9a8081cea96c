"""Files built by the tests themselves: good documents and a corpus of bad ones."""

import io
import struct
import zipfile
from collections.abc import Callable

import pikepdf
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


# --- good files ----------------------------------------------------------------------------


def pdf_bytes(text: str = "Pathology report: adenocarcinoma, intestinal type.") -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(out, format=fmt)
    return out.getvalue()


def dicom_bytes(*, preamble: bytes = b"\0" * 128, pixels: bytes | None = None) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = preamble
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Anonymous^Test"
    ds.Modality = "CT"
    ds.Rows, ds.Columns = 16, 16
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if pixels is None:
        pixels = bytes(range(256))
    if len(pixels) != 256:
        # Keep the header honest about the pixel array's shape for large images.
        ds.Rows = len(pixels) // 1024
        ds.Columns = 1024
    ds.PixelData = pixels
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    data = out.getvalue()
    if preamble != b"\0" * 128:
        data = preamble[:128].ljust(128, b"\0") + data[128:]
    return data


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def dicom_zip_bytes(n: int = 3) -> bytes:
    entries = {f"DICOM/IMG{i:04d}": dicom_bytes() for i in range(n)}
    entries["README.TXT"] = b"Images from the hospital imaging CD.\n"
    return zip_bytes(entries)


GOOD_FILES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    # id: (file name, category, builder)
    "pdf": ("pathology report.pdf", "pathology", pdf_bytes),
    "png": ("her2.png", "her2", lambda: image_bytes("PNG")),
    "jpeg": ("scan.jpg", "surgery", lambda: image_bytes("JPEG")),
    "tiff": ("fax.tiff", "chemotherapy", lambda: image_bytes("TIFF")),
    "dicom": ("IM0001", "imaging", dicom_bytes),
    "dicom_zip": ("imaging-cd.zip", "imaging", dicom_zip_bytes),
    "dicom_other": ("scan.dcm", "other", dicom_bytes),
    "pdf_imaging": ("ct report.pdf", "imaging", pdf_bytes),
}


# --- bad files -----------------------------------------------------------------------------

PE = (
    b"MZ\x90\x00\x03\x00\x00\x00"
    + b"\x00" * 56
    + b"This program cannot be run in DOS mode.\r\n"
    + b"\x00" * 200
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 300
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 300


def _pdf_with(mutate: Callable[[pikepdf.Pdf], None], **save: object) -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes()))
    mutate(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


def _js_action(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    return pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )


def _open_action_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = _js_action(pdf)


def _names_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), _js_action(pdf)]))
    )


def _launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))


def _launch_in_link(pdf: pikepdf.Pdf) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 100, 100],
        A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe")),
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([annot]))


def _js_in_link(pdf: pikepdf.Pdf) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 9, 9], A=_js_action(pdf)
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([annot]))


def _uri_open(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.URI, URI=pikepdf.String("http://example.invalid/")
    )


def _embedded(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(
        pdf, PE, mime_type="application/octet-stream"
    )


def _page_aa(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].AA = pikepdf.Dictionary(O=_js_action(pdf))


def _rich_media(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].Annots = pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.RichMedia,
                    RichMediaContent=pikepdf.Dictionary(),
                )
            ]
        )
    )


def _xfa(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<xdp/>"))


def _submit_form(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.SubmitForm, F=pikepdf.String("http://x.invalid")
    )


def _gotor(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.GoToR, F=pikepdf.String("other.pdf"), D=[0, pikepdf.Name.Fit]
    )


def _nothing(pdf: pikepdf.Pdf) -> None:
    return None


def _png_with_text(text: bytes) -> bytes:
    png = image_bytes("PNG")
    body = b"Comment\x00" + text
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + b"\x00\x00\x00\x00"
    return png[:33] + chunk + png[33:]


def _jpeg_with_comment(text: bytes) -> bytes:
    jpeg = image_bytes("JPEG")
    segment = b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text
    return jpeg[:2] + segment + jpeg[2:]


def _huge_png() -> bytes:
    # A real PNG header declaring 20000 x 20000 pixels: a decompression bomb's shape.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    return out.getvalue()


def _symlink_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("IMG0001", dicom_bytes())
        link = zipfile.ZipInfo("DICOM/link")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    return out.getvalue()


def _encrypted_flag_zip() -> bytes:
    # zipfile cannot write encrypted entries: set the "encrypted" flag in both headers.
    data = bytearray(zip_bytes({"IMG0001": dicom_bytes()}))
    local = data.index(b"PK\x03\x04")
    data[local + 6] |= 0x1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1
    return bytes(data)


def _bomb_zip() -> bytes:
    return zip_bytes({"IMG0001": dicom_bytes(), "IMG0002": b"\0" * (20 * 1024 * 1024)})


def _many_entries_zip() -> bytes:
    entries = {f"DICOM/IMG{i:05d}": dicom_bytes() for i in range(3)}
    entries.update({f"DICOM/EMPTY{i:05d}.TXT": b"" for i in range(5100)})
    return zip_bytes(entries, compression=zipfile.ZIP_STORED)


def _tar_gz() -> bytes:
    import gzip

    return gzip.compress(b"x" * 1000)


def _with_tail(data: bytes, tail: bytes) -> bytes:
    return data + tail


def _cut(data: bytes, fraction: float = 0.6) -> bytes:
    return data[: int(len(data) * fraction)]


# (id, file name, category, builder, expected words in the reason)
BAD_FILES: list[tuple[str, str, str, Callable[[], bytes], str]] = [
    # programs under any name
    ("pe_as_pdf", "report.pdf", "pathology", lambda: PE, "program"),
    ("pe_as_jpg", "photo.jpg", "her2", lambda: PE, "program"),
    ("pe_as_dcm", "IMG0001.dcm", "imaging", lambda: PE, "program"),
    ("pe_as_zip", "cd.zip", "imaging", lambda: PE, "program"),
    ("pe_no_name", "IMG0002", "imaging", lambda: PE, "program"),
    ("elf_as_pdf", "report.pdf", "surgery", lambda: ELF, "program"),
    ("elf_as_png", "scan.png", "other", lambda: ELF, "program"),
    ("macho_as_tiff", "fax.tiff", "chemotherapy", lambda: MACHO, "program"),
    ("shell_script", "report.pdf", "pathology", lambda: b"#!/bin/sh\nrm -rf ~\n", "program"),
    (
        "python_script",
        "notes.pdf",
        "other",
        lambda: b"#!/usr/bin/env python3\nimport os\n",
        "program",
    ),
    ("batch_file", "report.pdf", "other", lambda: b"@echo off\r\ndel /q C:\\*\r\n", "program"),
    (
        "html_page",
        "report.pdf",
        "pathology",
        lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "can't accept",
    ),
    (
        "svg_script",
        "scan.png",
        "her2",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "can't accept",
    ),
    (
        "jar",
        "viewer.zip",
        "imaging",
        lambda: zip_bytes(
            {
                "META-INF/MANIFEST.MF": b"Main-Class: X\n",
                "X.class": b"\xca\xfe\xba\xbe" + b"\0" * 40,
            }
        ),
        "program",
    ),
    # empty
    ("empty_pdf", "report.pdf", "pathology", lambda: b"", "empty"),
    ("empty_jpg", "photo.jpg", "her2", lambda: b"", "empty"),
    ("empty_dcm", "IMG0001", "imaging", lambda: b"", "empty"),
    # truncated or damaged
    ("pdf_cut", "report.pdf", "pathology", lambda: _cut(pdf_bytes()), "damaged"),
    (
        "pdf_no_eof",
        "report.pdf",
        "pathology",
        lambda: pdf_bytes().replace(b"%%EOF", b"%%END"),
        "damaged",
    ),
    (
        "pdf_bad_xref",
        "report.pdf",
        "pathology",
        lambda: pdf_bytes().replace(b"xref", b"xrex"),
        "damaged",
    ),
    ("pdf_header_only", "report.pdf", "pathology", lambda: b"%PDF-1.7\n%%EOF\n", "damaged"),
    ("jpeg_cut", "photo.jpg", "her2", lambda: _cut(image_bytes("JPEG", (256, 256))), "damaged"),
    ("png_cut", "scan.png", "her2", lambda: _cut(image_bytes("PNG", (256, 256))), "damaged"),
    (
        "tiff_cut",
        "fax.tif",
        "chemotherapy",
        lambda: _cut(image_bytes("TIFF", (256, 256)), 0.5),
        "damaged",
    ),
    (
        "dicom_cut",
        "IMG0001",
        "imaging",
        lambda: _cut(dicom_bytes(pixels=b"\x01" * 4096), 0.7),
        "damaged",
    ),
    ("zip_cut", "cd.zip", "imaging", lambda: _cut(dicom_zip_bytes()), "damaged"),
    (
        "jpeg_garbage",
        "photo.jpg",
        "her2",
        lambda: b"\xff\xd8\xff\xe0" + b"\x13" * 500 + b"\xff\xd9",
        "damaged",
    ),
    # PDFs with active content, encryption or attachments
    (
        "pdf_openaction_js",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_open_action_js),
        "JavaScript",
    ),
    ("pdf_names_js", "report.pdf", "her2", lambda: _pdf_with(_names_js), "JavaScript"),
    ("pdf_link_js", "report.pdf", "surgery", lambda: _pdf_with(_js_in_link), "JavaScript"),
    ("pdf_launch", "report.pdf", "pathology", lambda: _pdf_with(_launch), "starts a program"),
    (
        "pdf_link_launch",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_launch_in_link),
        "starts a program",
    ),
    ("pdf_uri_open", "report.pdf", "pathology", lambda: _pdf_with(_uri_open), "web address"),
    ("pdf_submit_form", "report.pdf", "pathology", lambda: _pdf_with(_submit_form), "sends data"),
    ("pdf_gotor", "report.pdf", "pathology", lambda: _pdf_with(_gotor), "another file"),
    (
        "pdf_embedded_file",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_embedded),
        "embedded files",
    ),
    ("pdf_page_aa", "report.pdf", "pathology", lambda: _pdf_with(_page_aa), "automatically"),
    ("pdf_rich_media", "report.pdf", "pathology", lambda: _pdf_with(_rich_media), "media"),
    ("pdf_xfa", "report.pdf", "pathology", lambda: _pdf_with(_xfa), "form"),
    (
        "pdf_user_password",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_nothing, encryption=pikepdf.Encryption(user="secret", owner="owner")),
        "password",
    ),
    (
        "pdf_owner_encrypted",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_nothing, encryption=pikepdf.Encryption(user="", owner="owner")),
        "encrypted",
    ),
    # polyglots and hidden data
    (
        "pdf_plus_zip",
        "report.pdf",
        "pathology",
        lambda: pdf_bytes() + zip_bytes({"a.exe": PE}),
        "hidden",
    ),
    (
        "jpeg_plus_zip",
        "photo.jpg",
        "her2",
        lambda: image_bytes("JPEG") + zip_bytes({"a.txt": b"x"}),
        "hidden",
    ),
    (
        "png_plus_zip",
        "scan.png",
        "her2",
        lambda: image_bytes("PNG") + zip_bytes({"a.txt": b"x"}),
        "hidden",
    ),
    (
        "png_trailing_data",
        "scan.png",
        "her2",
        lambda: image_bytes("PNG") + b"\x00payload" * 10,
        "extra data",
    ),
    ("jpeg_trailing_pe", "photo.jpg", "her2", lambda: image_bytes("JPEG") + PE, "program"),
    (
        "jpeg_script_comment",
        "photo.jpg",
        "her2",
        lambda: _jpeg_with_comment(b"<script>alert(1)</script>"),
        "hidden",
    ),
    (
        "png_html_text",
        "scan.png",
        "her2",
        lambda: _png_with_text(b"<html><body>hi</body></html>"),
        "hidden",
    ),
    ("junk_before_pdf", "report.pdf", "pathology", lambda: b"GIF89a;\n" + pdf_bytes(), "hidden"),
    ("pdf_in_png_head", "scan.png", "her2", lambda: _png_with_text(b"%PDF-1.4 fake"), "hidden"),
    ("dicom_preamble_pe", "IMG0001", "imaging", lambda: dicom_bytes(preamble=PE[:128]), "program"),
    (
        "dicom_preamble_text",
        "IMG0001",
        "imaging",
        lambda: dicom_bytes(preamble=b"TIFF" + b"\x01" * 124),
        "preamble",
    ),
    (
        "dicom_plus_zip",
        "IMG0001",
        "imaging",
        lambda: dicom_bytes() + zip_bytes({"a.exe": PE}),
        "hidden",
    ),
    # wrong kind for the category, or not a document at all
    ("zip_as_pathology", "report.zip", "pathology", dicom_zip_bytes, "can only be"),
    ("dicom_as_her2", "her2.dcm", "her2", dicom_bytes, "can only be"),
    ("dicom_as_surgery", "IMG0001", "surgery", dicom_bytes, "can only be"),
    ("gif", "photo.gif", "her2", lambda: image_bytes("GIF"), "can't accept"),
    ("bmp", "photo.bmp", "her2", lambda: image_bytes("BMP"), "can't accept"),
    (
        "plain_text",
        "report.pdf",
        "pathology",
        lambda: b"Just some notes about the patient.\n" * 20,
        "can't accept",
    ),
    ("rtf", "report.rtf", "pathology", lambda: b"{\\rtf1\\ansi Hello}", "can't accept"),
    (
        "random_bytes",
        "IMG0001",
        "imaging",
        lambda: bytes((i * 7919) % 251 for i in range(4096)),
        "can't accept",
    ),
    ("image_bomb", "scan.png", "her2", _huge_png, "too large"),
    # archives
    ("zip_too_many_entries", "cd.zip", "imaging", _many_entries_zip, "too many files"),
    ("zip_bomb", "cd.zip", "imaging", _bomb_zip, "too much data"),
    (
        "zip_nested_by_name",
        "cd.zip",
        "imaging",
        lambda: zip_bytes(
            {"IMG0001": dicom_bytes(), "inner.zip": zip_bytes({"IMG": dicom_bytes()})}
        ),
        "another archive",
    ),
    (
        "zip_nested_by_content",
        "cd.zip",
        "imaging",
        lambda: zip_bytes(
            {"IMG0001": dicom_bytes(), "IMG0002": zip_bytes({"IMG": dicom_bytes()})}
        ),
        "another archive",
    ),
    (
        "zip_nested_gzip",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"IMG0001": dicom_bytes(), "IMG0002": _tar_gz()}),
        "another archive",
    ),
    (
        "zip_absolute_path",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"/etc/cron.d/x": dicom_bytes()}),
        "unsafe file path",
    ),
    (
        "zip_dotdot_path",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"DICOM/../../evil": dicom_bytes()}),
        "unsafe file path",
    ),
    (
        "zip_drive_path",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"C:\\Windows\\evil": dicom_bytes()}),
        "unsafe file path",
    ),
    (
        "zip_backslash_dotdot",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"DICOM\\..\\..\\evil": dicom_bytes()}),
        "unsafe file path",
    ),
    ("zip_symlink", "cd.zip", "imaging", _symlink_zip, "link"),
    ("zip_encrypted", "cd.zip", "imaging", _encrypted_flag_zip, "password"),
    (
        "zip_with_program",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"IMG0001": dicom_bytes(), "VIEWER.EXE": PE}),
        "program",
    ),
    (
        "zip_with_elf",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"IMG0001": dicom_bytes(), "viewer": ELF}),
        "program",
    ),
    (
        "zip_with_pdf",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"IMG0001": dicom_bytes(), "report.pdf": pdf_bytes()}),
        "not a DICOM image",
    ),
    (
        "zip_with_pe_preamble",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"IMG0001": dicom_bytes(preamble=PE[:128])}),
        "program",
    ),
    (
        "zip_with_bad_preamble",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"IMG0001": dicom_bytes(preamble=b"II*\x00" + b"\x01" * 124)}),
        "preamble",
    ),
    (
        "zip_with_html",
        "cd.zip",
        "imaging",
        lambda: zip_bytes(
            {"IMG0001": dicom_bytes(), "index.htm": b"<html><script>x</script></html>"}
        ),
        "not a DICOM image",
    ),
    ("zip_empty", "cd.zip", "imaging", lambda: zip_bytes({}), "can't accept"),
    ("zip_only_dirs", "cd.zip", "imaging", lambda: zip_bytes({"DICOM/": b""}), "empty"),
    (
        "zip_no_dicom",
        "cd.zip",
        "imaging",
        lambda: zip_bytes({"README.TXT": b"nothing here\n"}),
        "no DICOM",
    ),
    (
        "zip_prepended",
        "cd.zip",
        "imaging",
        lambda: b"\x00" * 64 + dicom_zip_bytes(),
        "can't accept",
    ),
    ("zip_self_extracting", "cd.zip", "imaging", lambda: PE + dicom_zip_bytes(), "program"),
    (
        "docx_as_imaging",
        "cd.zip",
        "imaging",
        lambda: zip_bytes(
            {
                "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
                "word/document.xml": b"<?xml version='1.0'?><w:document/>",
            }
        ),
        "not a DICOM image",
    ),
    # the antivirus test string is not a document either
    ("eicar_as_pdf", "report.pdf", "pathology", lambda: EICAR, "can't accept"),
]


# --- the hostile corpus: hazards sent through every upload route -----------------------------


def _link(action: pikepdf.Dictionary) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        annot = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 9, 9], A=action
        )
        pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([annot]))

    return mutate


def _uri(address: str) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(address))


def _form_field_uri(pdf: pikepdf.Pdf) -> None:
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Btn,
            T=pikepdf.String("open"),
            Rect=[0, 0, 9, 9],
            A=_uri("javascript:this.submitForm('http://x.invalid')"),
        )
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([field]))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))


def _outline_uri(pdf: pikepdf.Pdf) -> None:
    item = pdf.make_indirect(
        pikepdf.Dictionary(Title=pikepdf.String("Results"), A=_uri("file:///C:/Windows/calc.exe"))
    )
    pdf.Root.Outlines = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item, Last=item, Count=1)
    )
    item.Parent = pdf.Root.Outlines


def _outline_js(pdf: pikepdf.Pdf) -> None:
    item = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Open"), A=_js_action(pdf)))
    pdf.Root.Outlines = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item, Last=item, Count=1)
    )


def _name_tree_uri(pdf: pikepdf.Pdf) -> None:
    # A named destination whose action is a link to a local share.
    pdf.Root.Names = pikepdf.Dictionary(
        Dests=pikepdf.Dictionary(
            Names=pikepdf.Array(
                [pikepdf.String("d"), pikepdf.Dictionary(D=[0], A=_uri("smb://host/share/x"))]
            )
        )
    )


def pdf_with_eof_in_its_text() -> bytes:
    """A complete-looking PDF whose real end (`startxref`, `%%EOF`) is cut off, leaving only
    a `%%EOF` written in the page text near the end, where a lenient check looks."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont="/Helv")
    )
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 20 100 Td (Report ends %%EOF) Tj ET\n")
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = out.getvalue()
    return data[: data.rindex(b"%%EOF")]


def tiff_with_looping_ifds() -> bytes:
    """A TIFF whose directory chain points back at itself: Pillow ends the chain quietly."""
    data = bytearray(image_bytes("TIFF"))
    (first,) = struct.unpack("<I", data[4:8])
    (entries,) = struct.unpack("<H", data[first : first + 2])
    next_at = first + 2 + entries * 12
    data[next_at : next_at + 4] = struct.pack("<I", first)
    return bytes(data)


def zip_with_deep_paths() -> bytes:
    return zip_bytes({"/".join(["D"] * 40) + "/IMG0001": dicom_bytes()})


def zip_with_long_paths() -> bytes:
    return zip_bytes({"DICOM/" + "A" * 200 + "/IMG0001": dicom_bytes()})


# (id, file name, category, builder, expected words in the reason)
HOSTILE_FILES: list[tuple[str, str, str, Callable[[], bytes], str]] = [
    (
        "pdf_link_javascript_uri",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_link(_uri("javascript:app.alert(1)"))),
        "JavaScript",
    ),
    (
        "pdf_link_javascript_uri_hidden",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_link(_uri("\x01 JaVaScRiPt:app.alert(1)"))),
        "JavaScript",
    ),
    (
        "pdf_link_file_uri",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_link(_uri("file:///etc/passwd"))),
        "not a web address",
    ),
    (
        "pdf_link_custom_scheme",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_link(_uri("ms-msdt:/id PCWDiagnostic"))),
        "not a web address",
    ),
    ("pdf_form_field_uri", "report.pdf", "her2", lambda: _pdf_with(_form_field_uri), "JavaScript"),
    ("pdf_outline_uri", "report.pdf", "surgery", lambda: _pdf_with(_outline_uri), "web address"),
    ("pdf_outline_js", "report.pdf", "surgery", lambda: _pdf_with(_outline_js), "JavaScript"),
    ("pdf_name_tree_uri", "report.pdf", "other", lambda: _pdf_with(_name_tree_uri), "web address"),
    (
        "pdf_launch_in_link",
        "report.pdf",
        "pathology",
        lambda: _pdf_with(_launch_in_link),
        "program",
    ),
    ("pdf_eof_only_in_text", "report.pdf", "pathology", pdf_with_eof_in_its_text, "damaged"),
    ("pdf_junk_after_eof", "report.pdf", "pathology", lambda: pdf_bytes() + b"x" * 40, "damaged"),
    ("tiff_ifd_loop", "fax.tiff", "chemotherapy", tiff_with_looping_ifds, "damaged"),
    ("zip_deep_paths", "cd.zip", "imaging", zip_with_deep_paths, "too deep or too long"),
    ("zip_long_paths", "cd.zip", "imaging", zip_with_long_paths, "too deep or too long"),
    ("pdf_named_png", "scan.png", "her2", pdf_bytes, "really a PDF"),
    ("png_named_pdf", "report.pdf", "her2", lambda: image_bytes("PNG"), "really a PNG"),
    ("pdf_named_exe", "report.exe", "pathology", pdf_bytes, "for programs"),
    ("pdf_named_pdf_js", "report.pdf.js", "pathology", pdf_bytes, "for programs"),
    ("pdf_named_fullwidth_exe", "report\uff0eexe", "pathology", pdf_bytes, "for programs"),
    ("pdf_named_bidi_exe", "report\u202efdp.exe", "pathology", pdf_bytes, "for programs"),
    ("dicom_named_scr", "IMG0001.scr", "imaging", dicom_bytes, "for programs"),
]

# Given name, builder, category, the name stored and served.
NAMED_FILES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("CON.pdf", pdf_bytes, "pathology", "CON_.pdf"),
    ("lpt9.report.pdf", pdf_bytes, "pathology", "lpt9_.report.pdf"),
    ("\uff52\uff45\uff50\uff4f\uff52\uff54.PDF", pdf_bytes, "pathology", "report.pdf"),
    ("re\u200bport\u202e\u2066.pdf", pdf_bytes, "pathology", "report.pdf"),
    ("..%2f..%2fetc%252fpasswd.pdf", pdf_bytes, "pathology", "_._etc_passwd.pdf"),
    ("scan\uff0f..\uff0fx.png", lambda: image_bytes("PNG"), "her2", "scan_._x.png"),
    ("ct\u3002report.JPEG", lambda: image_bytes("JPEG"), "surgery", "ct_report.jpg"),
    ("IM0001", dicom_bytes, "imaging", "IM0001.dcm"),
    ("1.2.840.113619.2.55.320", dicom_bytes, "imaging", "1.2.840.113619.2.55.320.dcm"),
]
