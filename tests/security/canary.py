"""A patient with unmistakable values, taken through the whole service, and scanners that
look for those values everywhere afterwards: every column of every table, every stored file,
every session."""

import io
from pathlib import Path

import pikepdf
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from navigation.models import Case
from records.models import ScanStatus
from tests.conftest import staff_client
from tests.navigation.test_intake import valid_answers
from tests.security.world import patient_client

NAME = "Quillonia Zephyrine-Canary"
CONTACT = "Ottoline Canarymarsh"
BIRTH_DATE = "1911-11-11"
EMAIL = "zephyrine.canary@example.org"
HISTORY = "Canaryregimen XQ7 then watchful waiting"
VALUES = (NAME, CONTACT, BIRTH_DATE, EMAIL, HISTORY, "Zephyrine", "Canarymarsh")


def canary_pdf() -> bytes:
    """A real PDF whose metadata (stored uncompressed) carries the patient's name."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = f"Pathology report for {NAME}"
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    return out.getvalue()


def journey(coordinator, capture_on_commit, after_submit=None) -> Case:
    """Submit, review, open the case and its files as a coordinator, follow it in the portal
    and ask for erasure there. `after_submit(case)` runs once the submission is saved (to
    wait for a live worker's review). Returns the case."""
    patient = Client()
    patient.get("/submit/")
    upload = SimpleUploadedFile("canary-pathology.pdf", canary_pdf(), "application/pdf")
    with capture_on_commit(execute=True):
        response = patient.post("/submit/uploads/", {"category": "pathology", "file": upload})
    assert response.status_code == 201, response.content
    answers = valid_answers(
        full_name=NAME,
        contact_name=CONTACT,
        date_of_birth=BIRTH_DATE,
        email=EMAIL,
        treatment_history=HISTORY,
    )
    with capture_on_commit(execute=True):
        response = patient.post("/submit/", answers)
    assert response.status_code == 302, response.content[:2000]
    case = Case.objects.get(patient__email=EMAIL)
    if after_submit is not None:
        after_submit(case)
    # The scanner may be absent here: the file is clean as far as this journey goes.
    case.patient.documents.update(status=ScanStatus.CLEAN)
    document = case.patient.documents.get()

    staff = staff_client(Client(), coordinator)
    with capture_on_commit(execute=True):
        assert staff.get(f"/admin/navigation/case/{case.pk}/change/").status_code == 200
        assert staff.get(f"/admin/records/patient/{case.patient.pk}/change/").status_code == 200
        path = f"/admin/navigation/case/{case.pk}/documents/{document.public_id}/"
        assert staff.get(path).status_code == 200
        staff.post(f"/admin/navigation/case/{case.pk}/summary/build/")
        assert staff.get(f"/admin/navigation/case/{case.pk}/summary/").status_code == 200

    portal = patient_client(EMAIL)
    with capture_on_commit(execute=True):
        assert portal.get(f"/portal/cases/{case.reference}/").status_code == 200
        response = portal.post(
            f"/portal/cases/{case.reference}/withdraw/", {"erase": "on", "confirm": "on"}
        )
    assert response.status_code in (200, 302), response.status_code
    return case


def database_hits(values=VALUES) -> list[str]:
    """Every table.column holding any of the values (as text), across the whole database."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                for value in values:
                    cursor.execute(
                        f"SELECT count(*) FROM {quote(table)} "  # noqa: S608 - names from the schema
                        f"WHERE CAST({quote(column.name)} AS TEXT) LIKE %s",
                        [f"%{value}%"],
                    )
                    if cursor.fetchone()[0]:
                        hits.append(f"{table}.{column.name} contains {value!r}")
    return hits


def session_hits(values=VALUES) -> list[str]:
    from cancerfax.models import UserSession

    hits = []
    for session in UserSession.objects.all():
        decoded = str(session.get_decoded())
        hits += [f"session {session.pk[:6]} holds {v!r}" for v in values if v in decoded]
    return hits


def storage_hits(values=VALUES) -> list[str]:
    """Files in private storage holding a canary value. Documents are encrypted at rest, so
    a document's file is read through its key; a file whose key is gone is unreadable."""
    from records.models import Document
    from records.storage import document_file_open

    root = Path(settings.PRIVATE_STORAGE_ROOT)
    documents = {d.storage_name: d for d in Document.objects.exclude(wrapped_key="")}
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            name = path.relative_to(root).as_posix()
            if name in documents:
                with document_file_open(documents[name]) as stream:
                    data = stream.read()
            else:
                data = path.read_bytes()
            hits += [f"{path.relative_to(root)} holds {v!r}" for v in values if v.encode() in data]
    return hits
