"""The oncology summary PDF: built from the case, private, rebuilt only when needed."""

import io

import pikepdf
import pytest
from django.core.files.storage import storages

from navigation.models import OncologySummary
from navigation.services.cases import missing_record_labels
from navigation.services.review import case_review_open
from navigation.services.summary import summaries_rebuild_stale, summary_build, summary_is_stale
from navigation.tasks import build_oncology_summary
from tests.navigation.factories import make_case, make_document

pytestmark = pytest.mark.django_db


def pdf_text(name: str) -> str:
    with storages["private"].open(name, "rb") as fh:
        data = fh.read()
    pdf = pikepdf.open(io.BytesIO(data))
    # reportlab writes its text uncompressed: the content streams hold it verbatim.
    streams = []
    for page in pdf.pages:
        contents = page.Contents
        parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        streams.extend(part.read_bytes().decode("latin-1") for part in parts)
    return "".join(streams)


def test_the_summary_holds_the_profile_prescreen_and_documents(coordinator):
    case = make_case(her2_ihc="3+", treatment_history="Two cycles of XELOX in 2026")
    make_document(case.patient)
    case_review_open(case_id=case.pk)
    build_oncology_summary.delay(case.pk)
    summary = OncologySummary.objects.get(case=case)
    text = pdf_text(summary.storage_name)
    for expected in (
        case.reference,
        "positive",
        "Two cycles of XELOX",
        "Post-D2 gastrectomy",
        "Pathology report",
    ):
        assert expected in text
    assert summary.storage_name.startswith("summaries/")


def test_building_twice_without_a_change_keeps_the_same_file(coordinator):
    case = make_case()
    first = summary_build(case_id=case.pk)
    second = summary_build(case_id=case.pk)
    assert first.storage_name == second.storage_name
    assert not summary_is_stale(case)


def test_a_profile_change_makes_it_stale_and_the_periodic_task_rebuilds_it(coordinator):
    case = make_case()
    first = summary_build(case_id=case.pk)
    profile = case.patient.profile
    profile.ecog = 2
    profile.save()
    case.refresh_from_db()
    assert summary_is_stale(case)
    assert summaries_rebuild_stale() == 1
    assert summaries_rebuild_stale() == 0
    rebuilt = OncologySummary.objects.get(case=case)
    assert rebuilt.storage_name != first.storage_name
    # The old file does not linger in private storage.
    assert not storages["private"].exists(first.storage_name)
    assert storages["private"].exists(rebuilt.storage_name)


def test_tnm_prints_as_given_and_labels_are_words(coordinator):
    case = make_case(tnm_t="T3", tnm_n="pN1", tnm_m="0")
    case_review_open(case_id=case.pk)
    text = pdf_text(summary_build(case_id=case.pk).storage_name)
    assert "T3 pN1 M0" in text
    assert "TT3" not in text
    # Outcome, evidence and criterion status in words, missing records by their names.
    assert "insufficient_information" not in text and "not_met" not in text
    assert "Good evidence" in text
    case.refresh_from_db()
    assert case.missing_records  # no documents yet: something is missing
    # (PDF text escapes parentheses: compare the labels' words before any of them.)
    listed = ", ".join(missing_record_labels(case.missing_records))
    assert listed.split("(")[0] in text


def test_every_page_is_numbered_and_marked_confidential(coordinator):
    # A long treatment history makes the summary run over more than one page.
    case = make_case(treatment_history="Cycle of chemotherapy. " * 600)
    summary = summary_build(case_id=case.pk)
    with storages["private"].open(summary.storage_name, "rb") as fh:
        pages = len(pikepdf.open(io.BytesIO(fh.read())).pages)
    assert pages > 1
    text = pdf_text(summary.storage_name)
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text
    assert text.count("Confidential: personal health information") == pages
