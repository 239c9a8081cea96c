"""A patient's whole journey in headless Chromium: fill in /submit/, upload files with
progress bars, fix a mistake without uploading again, get a case reference, sign in to the
portal through the emailed link, and send one more file."""

import re

import pytest
from django.core import mail

from navigation.models import Case
from records.models import Document
from tests.navigation.test_intake import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records every progress bar the upload script shows, and the highest value each reached.
WATCH_PROGRESS = """
() => {
  window.progressSeen = {};
  const note = (bar) => {
    const label = bar.getAttribute('aria-label') || '';
    const value = parseInt(bar.getAttribute('aria-valuenow') || '0', 10);
    window.progressSeen[label] = Math.max(window.progressSeen[label] || 0, value);
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'attributes' && m.target.matches('[role=progressbar]')) note(m.target);
      for (const node of m.addedNodes) {
        if (node.nodeType !== 1) continue;
        node.querySelectorAll('[role=progressbar]').forEach(note);
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['aria-valuenow']});
}
"""


def file_payload(name: str, pages: int = 1) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(pages, title=name)}


def test_a_patient_submits_records_and_follows_the_case_in_the_portal(page):
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto("/submit/?stage=III&gastrectomy=d2&curative_intent=true&her2_status=positive")
    # Carried over from the pre-screen.
    assert page.locator("select[name=stage]").input_value() == "III"
    assert page.locator("input[name=gastrectomy][value=d2]").is_checked()

    page.fill("input[name=full_name]", "Mei Lin")
    page.fill("input[name=date_of_birth]", "1961-03-14")
    page.check("input[name=relationship][value=family]")
    page.fill("input[name=contact_name]", "Jun Lin")
    page.fill("input[name=email]", "jun.lin@example.org")
    page.fill("input[name=phone]", "+44 20 7946 0958")
    page.select_option("select[name=country]", "United Kingdom")
    page.fill("input[name=diagnosis_date]", "2026-01-10")
    page.check("input[name=ecog][value='1']")
    page.fill("textarea[name=treatment_history]", "Adjuvant XELOX since March.")

    page.evaluate(WATCH_PROGRESS)
    received = page.locator("[data-records-list] li[data-document-id]")
    choices = [
        ("#id_files_pathology", file_payload("biopsy.pdf", pages=40)),
        ("#id_files_pathology", file_payload("resection.pdf")),
        ("#id_files_her2", file_payload("her2-ihc.pdf")),
    ]
    # Chosen together: they upload one after another, each with its own progress bar.
    page.set_input_files("#id_files_pathology", [choices[0][1], choices[1][1]])
    page.set_input_files("#id_files_her2", [choices[2][1]])
    received.nth(2).wait_for()
    assert received.count() == 3
    progress = page.evaluate("window.progressSeen")
    assert set(progress) == {
        "Uploading biopsy.pdf",
        "Uploading resection.pdf",
        "Uploading her2-ihc.pdf",
    }
    assert all(value == 100 for value in progress.values()), progress

    # A program dressed as a PDF is refused on the spot, with a reason.
    page.set_input_files(
        "#id_files_other",
        [{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00prog"}],
    )
    refused = page.locator("[data-upload-error]")
    refused.wait_for()
    assert "invoice.pdf" in refused.inner_text()

    # Forgetting the consent: a clear error, every answer and every file still there.
    page.click("button[type=submit]:has-text('Send to a coordinator')")
    page.wait_for_url("**/submit/")
    assert page.locator("#form-errors").is_visible()
    assert "consent" in page.locator("#form-errors").inner_text().lower()
    assert page.locator("input[name=full_name]").input_value() == "Mei Lin"
    assert page.locator("input[name=ecog][value='1']").is_checked()
    assert page.locator("[data-records-list] li[data-document-id]").count() == 3

    page.check("input[name=consent]")
    page.click("button[type=submit]:has-text('Send to a coordinator')")
    page.wait_for_url("**/submit/received/")
    reference = page.locator("[data-testid=case-reference]").inner_text().strip()
    case = Case.objects.select_related("patient").get(reference=reference)
    assert case.patient.email == "jun.lin@example.org"
    assert sorted(case.patient.documents.values_list("original_name", flat=True)) == [
        "biopsy.pdf",
        "her2-ihc.pdf",
        "resection.pdf",
    ]

    message = next(m for m in mail.outbox if m.to == ["jun.lin@example.org"])
    assert reference in message.body
    link = re.search(r"/portal/signin/[^\s/]+/", message.body).group(0)
    page.goto(link)
    page.click("button:has-text('Continue to my case')")
    page.wait_for_url("**/portal/")
    page.click(f"a:has-text('{reference}')")
    assert page.locator("[data-testid=case-status]").inner_text()
    assert "resection.pdf" in page.locator("#documents").inner_text()

    page.select_option("select[name=category]", "imaging")
    page.set_input_files("#id_files", [file_payload("ct-report.pdf")])
    page.click("button:has-text('Upload')")
    page.wait_for_url(re.compile(rf"/portal/cases/{reference}/#documents$"))
    assert "ct-report.pdf" in page.locator("#documents").inner_text()
    assert Document.objects.filter(
        patient=case.patient, original_name="ct-report.pdf", category="imaging"
    ).exists()
    assert csp_errors == []


def test_without_javascript_the_plain_form_keeps_files_through_a_mistake(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/submit/?stage=II")
        page.fill("input[name=full_name]", "Ravi Kumar")
        page.fill("input[name=date_of_birth]", "1958-07-02")
        page.check("input[name=relationship][value=self]")
        page.fill("input[name=email]", "ravi@example.org")
        page.fill("input[name=phone]", "+91 98765 43210")
        page.select_option("select[name=country]", "India")
        page.set_input_files("#id_files_pathology", [file_payload("histology.pdf")])
        page.set_input_files("#id_files_surgery", [file_payload("operation-note.pdf")])
        # No consent: the files travelled with the form and were kept anyway.
        page.click("button[type=submit]:has-text('Send to a coordinator')")
        page.wait_for_url("**/submit/")
        assert page.locator("#form-errors").is_visible()
        kept = page.locator("[data-records-list] li[data-document-id]")
        assert kept.count() == 2
        names = " ".join(kept.all_inner_texts())
        assert "histology.pdf" in names and "operation-note.pdf" in names
        assert page.locator("input[name=full_name]").input_value() == "Ravi Kumar"

        page.check("input[name=consent]")
        page.click("button[type=submit]:has-text('Send to a coordinator')")
        page.wait_for_url("**/submit/received/")
        reference = page.locator("[data-testid=case-reference]").inner_text().strip()
        case = Case.objects.get(reference=reference)
        assert sorted(case.patient.documents.values_list("original_name", flat=True)) == [
            "histology.pdf",
            "operation-note.pdf",
        ]
        assert case.patient.profile.stage == "II"
    finally:
        context.close()


def test_the_form_with_errors_and_the_portal_case_page_pass_an_accessibility_check(page):
    from axe_playwright_python.sync_playwright import Axe

    from tests.navigation.test_portal_signin import make_case

    page.goto("/submit/?stage=III")
    page.click("button[type=submit]:has-text('Send to a coordinator')")
    page.wait_for_url("**/submit/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    case = make_case(email="ana@example.org")
    from navigation.services.portal import portal_link_issue

    page.goto(f"/portal/signin/{portal_link_issue(email='ana@example.org')}/")
    page.click("button:has-text('Continue to my case')")
    page.goto(f"/portal/cases/{case.reference}/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
