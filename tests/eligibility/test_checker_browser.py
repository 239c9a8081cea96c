"""The checker end to end in headless Chromium, with JavaScript on and off.

The questions are found the way a screen reader user finds them: by their labels and
the question each group of answers belongs to.
"""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer(page: Page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def check_a_post_surgery_case(page: Page) -> None:
    page.goto("/eligibility/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Is CIK therapy an option")
    page.get_by_label("What stage is the cancer?").select_option("IIIA")
    answer(page, "Has the cancer spread to distant parts", "No")
    answer(page, "Have you had an operation", "Yes: a gastrectomy with D2 lymph node removal")
    answer(page, "Was the operation meant to remove all of the cancer?", "Yes")
    page.get_by_label("Date of the operation").fill("2026-01-10")
    answer(page, "What did the HER2 test on the tumour show?", "Negative")
    answer(
        page,
        "Which best describes your daily activity now?",
        "Fully active, as before the illness",
    )
    page.get_by_role("button", name="Check eligibility").click()

    expect(page).to_have_url(re.compile(r"/eligibility/\?.*stage=IIIA"))
    result = page.locator("#result")
    expect(result.get_by_role("heading", level=2)).to_contain_text("good evidence")
    expect(page.locator("#provisional")).to_be_visible()
    rows = page.locator("#criteria tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.nth(0)).to_contain_text("Met")
    expect(rows.nth(0)).to_contain_text("initiate 3–4 weeks post-surgery")
    expect(rows.nth(3)).to_contain_text("Not met")  # HER2 negative
    expect(rows.nth(5)).to_contain_text("Unknown")
    missing = page.locator("#missing")
    expect(missing).to_contain_text("your pathology report")
    expect(missing).not_to_contain_text("your HER2 test report")
    expect(page.locator("#timeline")).to_contain_text(
        "between 31 January 2026 and 7 February 2026"
    )
    expect(page.locator("#disclaimer")).to_contain_text("does not constitute medical advice")
    expect(page.get_by_role("link", name="Continue to submit your records")).to_have_attribute(
        "href",
        "/submit/?stage=IIIA&gastrectomy=d2&curative_intent=true&surgery_date=2026-01-10"
        "&metastatic=false&her2_status=negative&ecog=0",
    )

    # The answers stay in the form: change one and check again.
    expect(page.get_by_label("What stage is the cancer?")).to_have_value("IIIA")
    answer(
        page,
        "Which best describes your daily activity now?",
        "Completely dependent; in bed or a chair all day",
    )
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#result h2")).to_contain_text("generally not offered")
    expect(page.locator("#timeline")).to_have_count(1)  # post-D2 is still met


def test_the_checker_works_end_to_end(page):
    check_a_post_surgery_case(page)


def test_the_checker_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        check_a_post_surgery_case(page)
    finally:
        context.close()


def test_a_wrong_date_is_explained_next_to_the_question(page):
    page.goto("/eligibility/?stage=II&surgery_date=2999-01-01")
    expect(page.locator("#result")).to_contain_text("Some answers need checking")
    expect(page.locator("#div_id_surgery_date")).to_contain_text("Must not be in the future.")
    expect(page.get_by_label("What stage is the cancer?")).to_have_value("II")


def test_the_checker_has_no_accessibility_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto("/eligibility/?stage=IV&metastatic=true&prior_lines=0&peritoneal_metastasis=true")
    expect(page.locator("#result")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
