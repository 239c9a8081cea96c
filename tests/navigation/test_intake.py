"""The /submit/ page: pre-filled from the pre-screen, nothing lost on a mistake, one
transaction that opens a case, and a confirmation with the reference and a portal link."""

import io
import re
from datetime import timedelta

import pikepdf
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from navigation.models import Case, Outbox
from records.consent import CONSENT_VERSION
from records.models import Document, Patient

pytestmark = pytest.mark.django_db


def pdf_bytes(pages: int = 1, title: str = "") -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    if title:
        # Distinct bytes: the same bytes sent twice are kept once.
        pdf.docinfo["/Title"] = title
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def valid_answers(**overrides) -> dict:
    answers = {
        "full_name": "Mei Lin",
        "date_of_birth": "1961-03-14",
        "relationship": "family",
        "contact_name": "Jun Lin",
        "email": "jun.lin@example.org",
        "phone": "+44 20 7946 0958",
        "country": "United Kingdom",
        "preferred_language": "English",
        "diagnosis_date": "2026-01-10",
        "stage": "III",
        "tnm_t": "T3",
        "tnm_n": "",
        "tnm_m": "",
        "lauren_type": "intestinal",
        "signet_ring": "false",
        "her2_ihc": "3+",
        "her2_ish": "unknown",
        "her2_reported_status": "unknown",
        "ecog": "1",
        "severe_malnutrition": "false",
        "gastrectomy": "d2",
        "surgery_date": "2026-02-01",
        "curative_intent": "true",
        "metastatic": "false",
        "peritoneal_metastasis": "unknown",
        "prior_lines": "0",
        "first_line_regimen": "XELOX",
        "trastuzumab": "unknown",
        "treatment_history": "Adjuvant XELOX started in March.",
        "consent": "on",
        "consent_version": CONSENT_VERSION,
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def upload(client, category: str = "pathology", name: str = "pathology.pdf"):
    """Upload one file the way the page's script does: into this session's draft."""
    file = SimpleUploadedFile(name, pdf_bytes(title=name), content_type="application/pdf")
    response = client.post("/submit/uploads/", {"category": category, "file": file})
    assert response.status_code == 201, response.content
    return response


def test_the_page_renders_every_part_of_the_form(client):
    page = client.get("/submit/").content.decode()
    for name in ("full_name", "email", "phone", "stage", "her2_ihc", "ecog", "consent"):
        assert f'name="{name}"' in page
    for category in ("pathology", "her2", "imaging", "surgery", "chemotherapy", "other"):
        assert f'name="files_{category}"' in page
    # Consent is never ticked in advance.
    assert not re.search(r'<input[^>]*name="consent"[^>]*checked', page)


def test_the_page_gives_the_browser_its_session_before_any_upload(client, settings):
    # Files chosen together upload in parallel: they must all find the same session.
    response = client.get("/submit/")
    assert settings.SESSION_COOKIE_NAME in response.cookies
    first = upload(client, "pathology", "a.pdf").json()
    second = upload(client, "her2", "b.pdf").json()
    assert Document.objects.get(public_id=first["id"]).draft_id == (
        Document.objects.get(public_id=second["id"]).draft_id
    )


def test_answers_from_the_pre_screen_fill_the_form(client):
    page = client.get(
        "/submit/?stage=III&gastrectomy=d2&her2_status=positive&ecog=1&metastatic=false"
        "&first_line_regimen=XELOX&curative_intent=true"
    ).content.decode()
    assert re.search(r'<option value="III" selected>', page)
    for name, value in (
        ("gastrectomy", "d2"),
        ("her2_reported_status", "positive"),
        ("ecog", "1"),
        ("metastatic", "false"),
        ("curative_intent", "true"),
    ):
        assert re.search(rf'name="{name}" value="{value}"[^>]*checked', page), name
    assert re.search(r'<option value="XELOX" selected>', page)


def test_a_malformed_pre_screen_answer_is_left_unanswered(client):
    page = client.get("/submit/?stage=VII&ecog=9").content.decode()
    assert not re.search(r'<option value="[IV]+" selected>', page)
    assert re.search(r'name="ecog" value="unknown"[^>]*checked', page)


def test_without_consent_nothing_is_saved_and_everything_is_kept(client):
    upload(client, "pathology", "biopsy-report.pdf")
    response = client.post("/submit/", valid_answers(consent=None))
    assert response.status_code == 400
    page = response.content.decode()
    assert "We can only look at the records with your consent" in page
    # The summary at the top links to the unticked box.
    assert 'href="#id_consent"' in page
    assert 'value="Mei Lin"' in page
    assert 'value="jun.lin@example.org"' in page
    assert "Adjuvant XELOX started in March." in page
    assert re.search(r'name="gastrectomy" value="d2"[^>]*checked', page)
    assert "biopsy-report.pdf" in page
    assert not Patient.objects.exists()
    assert not Case.objects.exists()


def test_a_bad_email_is_refused_with_a_field_error(client):
    response = client.post("/submit/", valid_answers(email="jun.lin@"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert 'value="Mei Lin"' in page
    assert not Case.objects.exists()


def test_a_future_diagnosis_date_is_refused_and_uploads_survive(client):
    upload(client, "her2", "her2-ihc.pdf")
    upload(client, "imaging", "ct-report.pdf")
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post("/submit/", valid_answers(diagnosis_date=future))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This date is in the future" in page
    assert "her2-ihc.pdf" in page and "ct-report.pdf" in page
    # Corrected and sent again: the files uploaded before the mistake go with it.
    response = client.post("/submit/", valid_answers())
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert sorted(patient.documents.values_list("original_name", flat=True)) == [
        "ct-report.pdf",
        "her2-ihc.pdf",
    ]


def test_without_javascript_files_posted_with_the_form_survive_a_form_error(client):
    answers = valid_answers(email="not-an-address")
    answers["files_pathology"] = [
        SimpleUploadedFile("path-1.pdf", pdf_bytes(), content_type="application/pdf"),
        SimpleUploadedFile("path-2.pdf", pdf_bytes(2), content_type="application/pdf"),
    ]
    response = client.post("/submit/", answers)
    assert response.status_code == 400
    page = response.content.decode()
    assert "path-1.pdf" in page and "path-2.pdf" in page
    # The second post carries no files: the first ones were kept in the draft.
    response = client.post("/submit/", valid_answers())
    assert response.status_code == 302
    names = Patient.objects.get().documents.values_list("original_name", flat=True)
    assert sorted(names) == ["path-1.pdf", "path-2.pdf"]


def test_a_refused_file_is_named_and_the_rest_is_kept(client):
    answers = valid_answers()
    answers["files_pathology"] = [
        SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not really a pdf", "application/pdf"),
        SimpleUploadedFile("good.pdf", pdf_bytes(), content_type="application/pdf"),
    ]
    response = client.post("/submit/", answers)
    assert response.status_code == 400
    page = response.content.decode()
    assert "report.pdf" in page
    assert "good.pdf" in page
    assert not Case.objects.exists()
    assert Document.objects.filter(original_name="good.pdf").exists()
    assert not Document.objects.filter(original_name="report.pdf").exists()


def test_a_submission_opens_a_case_and_mails_a_portal_link(
    client, django_capture_on_commit_callbacks
):
    upload(client, "pathology", "pathology.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", valid_answers())
    assert response.status_code == 302
    assert response["Location"] == "/submit/received/"
    case = Case.objects.select_related("patient").get()
    assert case.patient.email == "jun.lin@example.org"
    assert case.patient.documents.get().original_name == "pathology.pdf"
    assert case.patient.consents.get().text_version == CONSENT_VERSION
    assert Outbox.objects.filter(case=case).exists()

    received = client.get("/submit/received/")
    assert case.reference.encode() in received.content

    message = next(m for m in mail.outbox if m.to == ["jun.lin@example.org"])
    assert case.reference in message.subject
    link = re.search(r"/portal/signin/[^\s/]+/", message.body).group(0)
    assert client.post(link).status_code == 302
    assert case.reference.encode() in client.get("/portal/").content


def test_the_confirmation_page_without_a_submission_sends_you_to_the_form(client):
    response = client.get("/submit/received/")
    assert response.status_code == 302
    assert response["Location"] == "/submit/"


def test_complete_submissions_are_rate_limited_per_client_and_answers_are_kept(client, settings):
    settings.SUBMIT_RATE_LIMIT = 2
    # Mistakes do not count against the limit.
    for _ in range(3):
        client.post("/submit/", valid_answers(consent=None))
    for n in range(2):
        assert client.post("/submit/", valid_answers(email=f"p{n}@example.org")).status_code == 302
    upload(client, "pathology", "kept.pdf")
    response = client.post("/submit/", valid_answers(email="third@example.org"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "Please wait before sending again" in page
    assert 'value="third@example.org"' in page
    assert "kept.pdf" in page
    assert Case.objects.count() == 2


def test_every_error_in_the_summary_links_to_its_question(client):
    page = client.post("/submit/", valid_answers(email="x@", consent=None, ecog=None)).content
    page = page.decode()
    targets = re.findall(r'class="alert-link" href="#([^"]+)"', page)
    assert set(targets) == {"id_email", "id_consent", "id_ecog_0"}
    for target in targets:
        assert f'id="{target}"' in page
