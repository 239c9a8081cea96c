"""The checker end to end in headless Chromium, with JavaScript on and off, on a wide
screen and a phone, and printed.

The questions are found the way a screen reader user finds them: by their labels and
the question each group of answers belongs to.
"""

import io
import itertools
import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pikepdf
import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
# The checker counts from the server's local date; ten days ago is inside the window.
OPERATED = date.today() - timedelta(days=10)
POST_SURGERY = {
    "stage": "IIIA",
    "metastatic": "false",
    "gastrectomy": "d2",
    "curative_intent": "true",
    "surgery_date": OPERATED.isoformat(),
    "her2_status": "negative",
    "ecog": "0",
}
PERITONEAL_ONLY = {
    "stage": "III",
    "metastatic": "false",
    "peritoneal_metastasis": "true",
    "gastrectomy": "none",
    "prior_lines": "0",
    "first_line_regimen": "FOLFOX",
}


def answer(page: Page, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def check_a_post_surgery_case(page: Page) -> None:
    page.goto("/eligibility/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Is CIK therapy an option")
    page.get_by_label("What stage is the cancer?").select_option("IIIA")
    answer(page, "Has the cancer spread to distant parts", "No")
    answer(
        page,
        "Has there been an operation to remove the stomach cancer?",
        "Yes: a gastrectomy with D2 lymph node removal",
    )
    answer(page, "Was the operation meant to remove all of the cancer?", "Yes")
    page.get_by_label("Date of the operation").fill(OPERATED.isoformat())
    answer(page, "What were you told about the HER2 test on the tumour?", "Negative")
    daily_activity = "Which best describes the patient's daily activity now?"
    answer(page, daily_activity, "0 — Fully active; can do everything they did before the illness")
    page.get_by_role("button", name="Check eligibility").click()

    expect(page).to_have_url(re.compile(r"/eligibility/\?.*stage=IIIA"))
    result = page.locator("#result")
    expect(result.get_by_role("heading", level=2)).to_contain_text("good evidence")
    expect(page.locator("#provisional")).to_be_visible()
    cards = page.locator("#criteria > li")
    expect(cards).to_have_count(7)
    expect(cards.nth(0)).to_contain_text("Applies to you")
    expect(cards.nth(0)).to_contain_text("You had a D2 gastrectomy")
    expect(cards.nth(0)).to_contain_text("initiate 3–4 weeks post-surgery")
    expect(cards.nth(3)).to_contain_text("Does not apply")  # HER2 negative
    expect(cards.nth(3)).to_contain_text("The HER2 test is negative")
    expect(cards.nth(5)).to_contain_text("Not known yet")
    missing = page.locator("#missing")
    expect(missing).to_contain_text("your pathology report")
    expect(missing).not_to_contain_text("your HER2 test report")
    start, end = OPERATED + timedelta(days=21), OPERATED + timedelta(days=28)
    expect(page.locator("#timeline")).to_contain_text(
        f"between {long_date(start)} and {long_date(end)}"
    )
    expect(page.locator("#disclaimer")).to_contain_text("does not constitute medical advice")
    expect(page.get_by_role("link", name="Continue to submit your records")).to_have_attribute(
        "href",
        f"/submit/?stage=IIIA&gastrectomy=d2&curative_intent=true&surgery_date={OPERATED}"
        "&metastatic=false&her2_status=negative&ecog=0",
    )

    # The answers stay in the form: change one and check again.
    expect(page.get_by_label("What stage is the cancer?")).to_have_value("IIIA")
    answer(page, daily_activity, "4 — Completely dependent; in bed or a chair all day")
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#result h2")).to_contain_text("generally not offered")
    expect(page.locator('[data-criterion="poor_performance_or_malnutrition"]')).to_contain_text(
        "Applies to you: CIK is generally not offered"
    )
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


# Words of the criteria drawn on more than one line: a word broken mid-word. Splitting
# at spaces and dashes, so "post-surgery" may still wrap at its hyphen.
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(
    document.querySelector('#criteria'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const match of node.data.matchAll(/[^\\s\\-–—/]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def open_result(browser, live_server, viewport: dict, answers: dict) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/eligibility/?{urlencode(answers)}")
    expect(page.locator("#result")).to_be_visible()
    return page


def serious_violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "answers", [POST_SURGERY, PERITONEAL_ONLY], ids=["post-surgery", "peritoneal"]
)
@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_the_result_reads_on_a_wide_screen_and_a_phone(browser, live_server, viewport, answers):
    page = open_result(browser, live_server, viewport, answers)
    try:
        cards = page.locator("#criteria > li")
        expect(cards).to_have_count(7)
        for i in range(7):
            expect(cards.nth(i).locator(".criterion-reason")).not_to_be_empty()
        boxes = [cards.nth(i).bounding_box() for i in range(7)]
        # Cards one under the other, each as wide as the list.
        assert all(b["y"] + b["height"] <= n["y"] + 1 for b, n in itertools.pairwise(boxes))
        assert len({round(b["x"]) for b in boxes}) == 1
        assert page.evaluate(BROKEN_WORDS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        factor, status = (
            cards.nth(0).locator(sel).bounding_box()
            for sel in (".criterion-factor", ".criterion-status")
        )
        if viewport is PHONE:  # stacked inside the card: the status under the factor
            assert status["y"] >= factor["y"] + factor["height"] - 1
        else:  # one row: the status beside the factor
            assert status["x"] >= factor["x"] + factor["width"] - 1
        assert serious_violations(page) == []
    finally:
        page.context.close()


def test_the_checker_has_no_accessibility_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto("/eligibility/?stage=IV&metastatic=true&prior_lines=0&peritoneal_metastasis=true")
    expect(page.locator("#result")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [(POST_SURGERY, "good"), (PERITONEAL_ONLY, "available")],
    ids=["post-surgery", "peritoneal"],
)
def test_the_printed_result_fits_two_pages_with_everything_a_doctor_needs(
    browser, live_server, answers, outcome
):
    page = open_result(browser, live_server, WIDE, answers)
    try:
        expect(page.locator("#result")).to_have_attribute("data-outcome", outcome)
        page.emulate_media(media="print")
        for hidden in ("header nav", "#questions", "#prescreen-form", "#continue", "footer"):
            expect(page.locator(hidden)).to_be_hidden()
        for shown in ("#checked-on", "#result h2", "#answers", "#disclaimer", "#rule-set"):
            expect(page.locator(shown)).to_be_visible()
        expect(page.locator("#rule-set")).to_contain_text("2026.12-1")
        expect(page.locator("#answers")).to_contain_text("What stage is the cancer?")
        reasons = page.locator("#criteria .criterion-reason")
        expect(reasons).to_have_count(7)
        for i in range(7):
            expect(reasons.nth(i)).to_be_visible()
        if answers is PERITONEAL_ONLY:
            expect(page.locator(".advisory")).to_contain_text("intraperitoneal CIK delivery")
        pdf = pikepdf.open(io.BytesIO(page.pdf(format="A4", print_background=True)))
        assert 1 <= len(pdf.pages) <= 2
    finally:
        page.context.close()
