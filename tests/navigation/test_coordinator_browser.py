"""In headless Chromium, at desktop and phone width: a coordinator signs in in one step, finds
a new case in the queue, opens it, downloads a document, asks for a record the patient had
already sent one of (the request stays open until a new upload arrives, then shows received),
and downloads the summary PDF. axe finds no serious or critical violation on any page.

On the embedded default (SQLite live server, tasks in-process) locally; in CI on PostgreSQL
with the live Celery worker and clamd, which `.ci/run` provides."""

import os
import re
from datetime import date

import pytest
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigation.models import RecordsRequest
from navigation.services.cases import case_open
from navigation.services.portal import portal_link_issue
from records.consent import CONSENT_VERSION
from records.services.patients import patient_submit
from tests.conftest import STAFF_PASSWORD
from tests.navigation.factories import make_document
from tests.navigation.test_intake import pdf_bytes
from tests.security.helpers import current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCUMENT = b"%PDF-1.4\n% pathology report for the browser test\n"


@pytest.fixture
def tasks(request) -> str:
    """In CI (a broker configured, PostgreSQL): the real worker runs the tasks."""
    from django.db import connection

    if os.environ.get("CELERY_BROKER_URL") and connection.vendor == "postgresql":
        return request.getfixturevalue("live_worker")
    return "in-process"


@pytest.fixture
def new_case(coordinator, tasks):
    with transaction.atomic():
        patient = patient_submit(
            contact={
                "full_name": "Browser Patient",
                "date_of_birth": date(1958, 6, 7),
                "relationship": "self",
                "email": "browser.patient@example.net",
                "phone": "+442071234567",
                "country": "United Kingdom",
            },
            profile={"stage": "IIIA", "gastrectomy": "d2", "curative_intent": True},
            consent_version=CONSENT_VERSION,
            draft=None,
        )
        make_document(patient, content=DOCUMENT)
        case = case_open(patient=patient)
    return case


def serious_violations(page) -> str:
    from axe_playwright_python.sync_playwright import Axe

    found = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in {"serious", "critical"}
    ]
    return "\n".join(
        f"{page.url}: {v['id']} ({v['impact']}) at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_coordinator_works_a_case_from_sign_in_to_summary(
    page, browser, live_server, coordinator, new_case, width
):
    page.set_viewport_size({"width": width, "height": 900})
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    refused = []
    page.on("console", lambda msg: "Refused" in msg.text and refused.append(msg.text))
    axe_findings = []

    # One step: username, password and the current code, sent once.
    page.goto("/admin/login/?next=/admin/navigation/case/")
    axe_findings.append(serious_violations(page))
    page.get_by_label("Username").fill(coordinator.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/navigation/case/$"))
    axe_findings.append(serious_violations(page))
    if width == 1280:
        # All ten columns fit: the results table ends inside the window.
        right = page.evaluate(
            "document.querySelector('#result_list').getBoundingClientRect().right"
        )
        assert right <= width

    # Find the new case in the queue and open it.
    page.fill("#searchbar", new_case.reference)
    page.press("#searchbar", "Enter")
    page.get_by_role("link", name=new_case.reference).click()
    page.wait_for_url(re.compile(rf"/admin/navigation/case/{new_case.pk}/change/"))
    axe_findings.append(serious_violations(page))
    assert refused == []  # nothing on the case page breaks the Content Security Policy

    # Download the pathology report: an attachment with the stored bytes.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="report.pdf").click()
    with open(download_info.value.path(), "rb") as fh:
        assert fh.read() == DOCUMENT

    # Ask again for the pathology report, which the patient had sent already.
    page.get_by_label("Pathology report").check()
    page.fill("#id_message", "Please upload the full pathology report, all pages.")
    page.get_by_role("button", name="Email the request to the patient").click()
    page.get_by_text("Records requested: the patient has been emailed.").wait_for()
    records_request = RecordsRequest.objects.get(case=new_case)
    page.reload()
    item = page.locator(".records-request li", has_text="Pathology report")
    assert "waiting" in item.locator(".request-item-state").inner_text()
    records_request.refresh_from_db()
    assert "pathology" not in records_request.received  # the earlier file does not answer it

    # The patient uploads a new pathology report in the portal.
    patient = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    patient_page = patient.new_page()
    patient_page.set_default_timeout(15_000)
    patient_page.goto(f"/portal/signin/{portal_link_issue(email='browser.patient@example.net')}/")
    patient_page.get_by_role("button", name="Continue to my case").click()
    patient_page.goto(f"/portal/cases/{new_case.reference}/")
    patient_page.select_option("select[name=category]", "pathology")
    patient_page.set_input_files(
        "#id_files",
        [{"name": "full-report.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}],
    )
    patient_page.get_by_role("button", name=re.compile("Upload")).click()
    patient_page.wait_for_url(re.compile(r"#documents$"))
    # The portal shows the item's state too.
    requests = patient_page.locator("section[aria-labelledby=requests-heading]")
    assert "received" in requests.locator("li", has_text="Pathology report").inner_text()
    patient.close()

    # Back on the case page, the item reads received.
    page.reload()
    item = page.locator(".records-request li", has_text="Pathology report")
    assert "received (uploaded after the request)" in item.inner_text()
    records_request.refresh_from_db()
    assert records_request.received["pathology"]["by"] == "upload"

    # Build and download the summary PDF.
    page.get_by_role("button", name="Build the summary").click()
    page.get_by_text("Oncology summary built.", exact=True).wait_for()
    axe_findings.append(serious_violations(page))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the summary (PDF)").click()
    with open(download_info.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    assert not any(axe_findings), "\n".join(f for f in axe_findings if f)
