"""A patient's family takes the whole journey the way people take it, in headless Chromium,
on a wide screen and a phone's: the checker, then /submit/ with five files chosen at once,
a reload, a mistake, "continue later" from the emailed link on another device, the
confirmation, and the portal with an upload. axe checks every page on the way.

It runs twice over:
- on the embedded default, as `make run` serves it: `manage.py runserver` on a file SQLite
  database, tasks in-process, no scanner, mail printed to the server's console (read from
  there, so a link broken over two lines fails the journey);
- on the services, as production runs: a live server on PostgreSQL with the live Celery
  worker and clamd (skipped locally without them; required in CI).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.conftest import wait_for
from tests.navigation.test_intake import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
FILES = [f"report-{n}.pdf" for n in range(1, 6)]
SLOW = 60_000  # ms: five files, one after another, on a busy shared machine
# Settings the embedded default must not inherit from a CI environment.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CLAMD_ADDRESS",
    "PRIVATE_STORAGE_ROOT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "REQUIRE_SERVICES",
    "SITE_URL",
)


@dataclass
class Site:
    url: str
    mails: Callable[[], list[tuple[str, str]]]  # (recipient, text) of every mail so far
    scanner: bool
    # A coordinator asks for the imaging report of a case (as the admin's request does).
    ask_for_imaging: Callable[[str], None]


def ask_for_imaging(reference: str) -> None:
    from navigation.models import Case
    from navigation.services.records_requests import records_request_create

    records_request_create(
        case=Case.objects.get(reference=reference),
        items=["imaging"],
        message="Please send the CT report.",
        actor=None,
    )


# --- the embedded default: manage.py runserver on SQLite ---------------------------------


def _embedded_env(database: Path, storage: Path, site_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        PRIVATE_STORAGE_ROOT=str(storage),
        PYTHONUNBUFFERED="1",
    )
    if site_url:
        env["SITE_URL"] = site_url
    return env


@pytest.fixture(scope="session")
def embedded_database(tmp_path_factory) -> Path:
    """A migrated SQLite file, made once and copied for each journey."""
    folder = tmp_path_factory.mktemp("embedded")
    database = folder / "db.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=_embedded_env(database, folder / "private"),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _printed_mails(console: Path) -> list[tuple[str, str]]:
    """The messages the development mail backend printed (cancerfax/mail.py)."""
    found = []
    for block in console.read_text(errors="replace").split("-" * 79 + "\n"):
        recipient = re.search(r"^To: (.+)$", block, re.MULTILINE)
        if recipient and "Subject: " in block:
            found.append((recipient.group(1).strip(), block))
    return found


@pytest.fixture
def embedded_site(embedded_database, tmp_path) -> Iterator[Site]:
    database = tmp_path / "db.sqlite3"
    shutil.copy(embedded_database, database)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    console = tmp_path / "runserver.log"
    with console.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            # As `make run` does: links in emails use the address the site is served on.
            env=_embedded_env(database, tmp_path / "private", site_url=url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def up() -> bool:
            try:
                return urllib.request.urlopen(f"{url}/healthz", timeout=2).status == 200
            except OSError:
                return server.poll() is not None  # stop waiting if it died

        wait_for(up, timeout=60, interval=0.3)
        assert server.poll() is None, console.read_text()

        def ask(reference: str) -> None:
            # The server's database, so through its own manage.py.
            code = (
                "from tests.navigation.test_patient_journey import ask_for_imaging; "
                f"ask_for_imaging({reference!r})"
            )
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", code],
                cwd=ROOT,
                env=_embedded_env(database, tmp_path / "private", site_url=url),
                check=True,
                capture_output=True,
                timeout=120,
            )

        yield Site(
            url=url, mails=lambda: _printed_mails(console), scanner=False, ask_for_imaging=ask
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    # Nothing the patient did may have failed on the server, least of all a locked database.
    log = console.read_text()
    assert "database is locked" not in log, log
    assert "Traceback" not in log, log


# --- the services: live server on PostgreSQL, live worker, clamd --------------------------


@pytest.fixture
def services_site(postgres, live_server, live_worker, clamd_address, settings) -> Site:
    settings.CLAMD_ADDRESS = clamd_address
    settings.SITE_URL = live_server.url
    # The worker scans the stored bytes: both sides use the storage the environment names.
    shared = os.environ.get("PRIVATE_STORAGE_ROOT") or str(settings.BASE_DIR / "var" / "private")
    storages = dict(settings.STORAGES)
    for alias in ("default", "private"):
        storages[alias] = {
            **storages[alias],
            "OPTIONS": {**storages[alias]["OPTIONS"], "location": shared},
        }
    settings.STORAGES = storages
    return Site(
        url=live_server.url,
        mails=lambda: [(", ".join(m.to), m.subject + "\n" + m.body) for m in mail.outbox],
        scanner=True,
        ask_for_imaging=ask_for_imaging,
    )


# --- what every page must pass ----------------------------------------------------------


def assert_accessible(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    assert not serious, f"{page.url}\n" + results.generate_report()


def assert_fits_the_screen(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def checked_page(page: Page) -> None:
    assert_accessible(page)
    assert_fits_the_screen(page)


def link_in(site: Site, to: str, path: str) -> str:
    """The one link to `path` in the latest mail to `to`, whole, on the site's address."""
    mails = wait_for(lambda: [text for recipient, text in site.mails() if recipient == to])
    match = re.search(rf"^(\S*{re.escape(path)}\S*)$", mails[-1], re.MULTILINE)
    assert match, mails[-1]
    assert match.group(1).startswith(site.url + path), match.group(1)
    return match.group(1)


def pdf(name: str, pages: int = 1) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(pages)}


# --- the journey ------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("where", ["embedded", "services"])
def test_a_family_member_takes_the_whole_journey(browser, request, where, width):
    site: Site = request.getfixturevalue(f"{where}_site")
    viewport = {"width": width, "height": 900}
    context = browser.new_context(base_url=site.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        # The checker, then on to the records.
        page.goto("/eligibility/")
        page.get_by_label("What stage is the cancer?").select_option("IIIA")
        page.get_by_role("button", name="Check eligibility").click()
        expect(page.locator("#result")).to_be_visible()
        checked_page(page)
        page.get_by_role("link", name="Continue to submit your records").click()
        page.wait_for_url("**/submit/?*stage=IIIA*")
        checked_page(page)

        page.get_by_label("Patient's full name").fill("Mei Lin")
        page.get_by_label("Patient's date of birth").fill("1961-03-14")
        page.check("input[name=relationship][value=family]")
        page.get_by_label("Your name").fill("Jun Lin")
        page.get_by_label("Email address").fill("jun.lin@example.org")
        # The phone as written at home, once the country is chosen; the example follows.
        page.get_by_label("Country where the patient lives").select_option("United Kingdom")
        expect(page.locator("[data-phone-help]")).to_contain_text("United Kingdom")
        page.get_by_label("Phone").fill("020 7946 0958")
        page.fill("textarea[name=treatment_history]", "Adjuvant XELOX since March.")

        # Five files chosen at once, in one input: every one arrives.
        page.set_input_files(
            "#id_files_pathology", [pdf(name, pages=n) for n, name in enumerate(FILES, 1)]
        )
        received = page.locator("#documents li[data-document-id]")
        expect(received).to_have_count(5, timeout=SLOW)
        expect(page.locator("[data-upload-error]")).to_have_count(0)

        # A reload keeps every answer and every file.
        expect(page.locator("form[data-draft-saved]")).to_have_count(1, timeout=SLOW)
        page.reload()
        expect(page.get_by_label("Patient's full name")).to_have_value("Mei Lin")
        expect(page.get_by_label("Phone")).to_have_value("020 7946 0958")
        expect(page.get_by_label("Country where the patient lives")).to_have_value(
            "United Kingdom"
        )
        expect(page.locator("textarea[name=treatment_history]")).to_have_value(
            "Adjuvant XELOX since March."
        )
        expect(received).to_have_count(5)

        # Sending without consent: the error is announced and takes the focus.
        page.get_by_role("button", name="Send to a coordinator").click()
        page.wait_for_load_state()
        expect(page).to_have_title(re.compile(r"^Error: "))
        expect(page.locator("#form-errors")).to_be_focused()
        expect(page.locator("#form-errors")).to_contain_text("consent")
        checked_page(page)

        # Not ready: continue later, from the emailed link, on another device.
        page.get_by_role("button", name="Continue later").click()
        expect(page.locator("[data-testid=later-sent]")).to_contain_text("jun.lin@example.org")
        checked_page(page)
        resume = link_in(site, "jun.lin@example.org", "/submit/resume/")
    finally:
        context.close()

    context = browser.new_context(base_url=site.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(resume)
        checked_page(page)
        page.get_by_role("button", name="Continue my submission").click()
        page.wait_for_url("**/submit/")
        expect(page.get_by_label("Patient's full name")).to_have_value("Mei Lin")
        expect(page.get_by_label("Phone")).to_have_value("020 7946 0958")
        expect(page.locator("#documents li[data-document-id]")).to_have_count(5)
        checked_page(page)

        page.get_by_label(re.compile("I agree|I consent")).check()
        page.get_by_role("button", name="Send to a coordinator").click()
        page.wait_for_url("**/submit/received/")
        reference = page.locator("[data-testid=case-reference]").inner_text().strip()
        expect(page.locator("[data-testid=response-time]")).to_contain_text("working days")
        expect(page.locator("[data-testid=not-for-emergencies]")).to_contain_text(
            "local emergency services"
        )
        checked_page(page)

        # The portal, from the confirmation email; meanwhile a coordinator asks for imaging.
        signin = link_in(site, "jun.lin@example.org", "/portal/signin/")
        site.ask_for_imaging(reference)
        page.goto(signin)
        checked_page(page)
        page.get_by_role("button", name="Continue to my case").click()
        page.wait_for_url("**/portal/")
        checked_page(page)
        page.get_by_role("link", name=re.compile(reference)).click()
        documents = page.locator("#documents")
        for name in FILES:
            expect(documents).to_contain_text(name)
        expect(page.locator("[data-testid=contact]")).to_contain_text("not for urgent")
        asked = page.locator("section[aria-labelledby=requests-heading]")
        expect(asked).to_contain_text("Please send the CT report.")
        expect(asked.get_by_role("listitem").filter(has_text="imaging")).to_contain_text(
            "waiting for you"
        )
        checked_page(page)

        page.get_by_label("What is it?").select_option("imaging")
        page.set_input_files("#id_files", [pdf("ct-report.pdf", pages=9)])
        page.get_by_role("button", name="Upload").click()
        page.wait_for_url(re.compile(rf"/portal/cases/{reference}/#documents$"))
        expect(documents.get_by_role("status")).to_contain_text("1 file received")
        expect(documents).to_contain_text("ct-report.pdf")
        # The file answers the request: its item now reads received.
        expect(asked.get_by_role("listitem").filter(has_text="imaging")).to_contain_text(
            "received"
        )
        expect(page.locator("body")).not_to_contain_text("Pending scan")
        states = page.locator("[data-testid=document-state]")
        expect(states).to_have_count(6)
        if site.scanner:
            # clamd clears every file in time; the page then says so.
            def all_checked() -> bool:
                page.reload()
                return set(states.all_inner_texts()) == {"Checked, no virus found"}

            wait_for(all_checked, timeout=60, interval=1)
        checked_page(page)
    finally:
        context.close()


def test_leaving_the_form_with_answers_not_yet_saved_asks_first(browser, embedded_site):
    context = browser.new_context(base_url=embedded_site.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/submit/")
        # The connection drops: answers cannot reach the draft.
        page.route("**/submit/draft/", lambda route: route.abort())
        page.get_by_label("Patient's full name").fill("Mei Lin")
        with page.expect_event("dialog") as asked:
            page.close(run_before_unload=True)
        assert asked.value.type == "beforeunload"
        asked.value.dismiss()
    finally:
        context.close()


SEND_SIDE_BY_SIDE = """
async (files) => {
  const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
  const send = (b64, n) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new FormData();
    data.append('category', 'pathology');
    data.append('file', new Blob([bytes], {type: 'application/pdf'}), `side-${n}.pdf`);
    return fetch('/submit/uploads/', {method: 'POST', body: data,
      headers: {'X-CSRFToken': token, 'Accept': 'application/json'}}).then((r) => r.status);
  };
  return Promise.all(files.map(send));
}
"""


def test_files_sent_side_by_side_all_arrive_on_the_embedded_default(browser, embedded_site):
    """Another client (an older page, a script) may send files at the same time: SQLite
    must queue the writers, not fail them with "database is locked"."""
    import base64

    context = browser.new_context(base_url=embedded_site.url)
    page = context.new_page()
    try:
        page.goto("/submit/")
        files = [base64.b64encode(pdf_bytes(n)).decode() for n in range(1, 9)]
        assert page.evaluate(SEND_SIDE_BY_SIDE, files) == [201] * 8
        page.reload()
        expect(page.locator("#documents li[data-document-id]")).to_have_count(8)
    finally:
        context.close()
