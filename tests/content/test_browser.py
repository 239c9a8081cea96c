"""Acceptance 5: the page in headless Chromium: axe-core finds no serious or critical
violations, and at phone width nothing scrolls sideways."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = "/cik/gastric-cancer/"


@pytest.fixture(autouse=True)
def seed_content(transactional_db) -> None:
    """The live server needs committed rows, and transactional tests empty the tables
    after each test: load the page again the way its data migration does."""
    from importlib import import_module

    from django.apps import apps

    import_module("content.migrations.0002_seed_cik_gastric_cancer").load(apps, None)


def _axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    # axe-core ships inside the package (axe.min.js): no network needed.
    results = Axe().run(page)
    return [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def _describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", [PAGE, "/"])
def test_the_page_has_no_serious_accessibility_violations(page, width, path):
    page.set_viewport_size({"width": width, "height": 900})
    assert page.goto(path).status == 200
    violations = _axe_violations(page)
    assert not violations, _describe(violations)


def test_at_phone_width_nothing_scrolls_sideways(page, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(PAGE)
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], widths
    shot = tmp_path / "cik-gastric-cancer-390.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_the_charts_and_styles_load_under_the_content_security_policy(page):
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    response = page.goto(PAGE)
    assert response.status == 200, page.content()[:3000]
    # The page stylesheet applied (no inline styles are allowed, so this is the only way).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.range-chart')).height") != "150px"
    )
    charts = page.locator("svg.range-chart[role=img]")
    assert charts.count() == 3
    first = charts.first
    assert "1-year OS" in first.locator("title").text_content()
    bar = first.locator("rect.range-treatment")
    assert bar.get_attribute("x") == "70"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('rect.range-treatment')).fill")
        != "rgb(0, 0, 0)"
    )
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_the_json_ld_block_without_a_nonce_raises_no_csp_violation(page):
    # Recorded from the first script to run, before the page's own elements are parsed.
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    # Twice: rendered, then from the cache.
    for _ in range(2):
        response = page.goto(PAGE)
        assert response.status == 200
        assert "script-src" in response.headers["content-security-policy"]
        data = page.evaluate(
            "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]')"
            ".textContent)"
        )
        assert data["@context"] == "https://schema.org"
        assert page.evaluate("window.__violations") == []
    assert not [text for text in console if "Content Security Policy" in text], console
