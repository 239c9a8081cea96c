"""In headless Chromium: a coordinator works a new case from the queue to a records request,
and the patient sees the request in their portal."""

import re
from datetime import date

import pytest
from django.core import mail
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from navigation.models import RecordsRequest
from navigation.services import case_open
from records.consent import CONSENT_VERSION
from records.services import patient_submit
from tests.conftest import STAFF_PASSWORD
from tests.navigation.factories import make_document
from tests.security.helpers import current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCUMENT = b"%PDF-1.4\n% pathology report for the browser test\n"


@pytest.fixture
def new_case(coordinator):
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


def test_a_coordinator_works_the_case_and_the_patient_sees_the_request(
    page, browser, live_server, coordinator, new_case
):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    refused = []
    page.on("console", lambda msg: "Refused" in msg.text and refused.append(msg.text))

    # Sign in to the admin in one step: username, password and a current code.
    page.goto("/admin/login/?next=/admin/navigation/case/")
    page.get_by_label("Username").fill(coordinator.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/navigation/case/$"))

    # Find the new case in the queue and open it.
    page.fill("#searchbar", new_case.reference)
    page.press("#searchbar", "Enter")
    page.get_by_role("link", name=new_case.reference).click()
    page.wait_for_url(re.compile(rf"/admin/navigation/case/{new_case.pk}/change/"))
    assert page.get_by_text("Post-D2 gastrectomy (Stage II–III, curative intent)").count()
    assert refused == []  # nothing on the case page breaks the Content Security Policy

    # Download the pathology report: an attachment with the stored bytes.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="report.pdf").click()
    download = download_info.value
    with open(download.path(), "rb") as fh:
        assert fh.read() == DOCUMENT

    # Request the HER2 report with a message.
    page.get_by_label("HER2 test report").check()
    page.fill("#id_message", "Please upload the HER2 report from your biopsy.")
    page.get_by_role("button", name="Email the request to the patient").click()
    page.get_by_text("Records requested: the patient has been emailed.").wait_for()
    assert RecordsRequest.objects.filter(case=new_case).count() == 1

    # The patient signs in to the portal through the emailed link and sees the request.
    patient_context = browser.new_context(base_url=live_server.url)
    patient_page = patient_context.new_page()
    patient_page.set_default_timeout(15_000)
    mail.outbox.clear()
    patient_page.goto("/portal/")
    patient_page.fill("input[name=email]", "browser.patient@example.net")
    patient_page.get_by_role("button", name="Email me a sign-in link").click()
    patient_page.wait_for_load_state()
    [message] = [m for m in mail.outbox if "browser.patient@example.net" in m.to]
    link = re.search(r"https?://\S+/portal/signin/\S+/", message.body).group(0)
    path = "/" + link.split("/", 3)[3]
    patient_page.goto(path)
    patient_page.get_by_role("button", name="Continue to my case").click()
    patient_page.wait_for_url(re.compile(r"/portal/"))
    # Follow through to the case page if the portal lists cases first.
    if not patient_page.get_by_text("Records our coordinators asked for").count():
        patient_page.get_by_role("link", name=re.compile(new_case.reference)).first.click()
    patient_page.get_by_text("Records our coordinators asked for").wait_for()
    assert patient_page.get_by_text("HER2 test report").count()
    assert patient_page.get_by_text("Please upload the HER2 report from your biopsy.").count()
    patient_context.close()
