import pytest

pytestmark = pytest.mark.browser


def test_home_page_loads_in_chromium_with_bootstrap(page):
    page.goto("/")
    assert page.locator("h1").first.inner_text()
    # Bootstrap's stylesheet really loaded: .container has a max width on a wide screen.
    max_width = page.evaluate(
        "getComputedStyle(document.querySelector('main .container')).maxWidth"
    )
    assert max_width.endswith("px")
    skip = page.locator("a.skip-link")
    page.keyboard.press("Tab")
    assert skip.evaluate("el => el === document.activeElement")
