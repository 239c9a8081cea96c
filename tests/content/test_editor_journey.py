"""An editor's journey in headless Chromium, as editors and clinical reviewers take it.

An editor opens a draft of the published page, changes an FAQ answer, previews it and sends
it for review; a clinical reviewer (another person) records the review; the editor publishes
it, then restores the page as it was. All along, the public page is checked from a third
browser that is signed in as nobody, and axe checks every page of the journey.

On `make run` this is a live server on SQLite; in CI the same test runs on PostgreSQL.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cancerfax.roles import CLINICAL_REVIEWERS, CONTENT_EDITORS
from content.models import InformationPage, PageRevision
from tests.conftest import STAFF_PASSWORD
from tests.content.factories import SEED_PATH
from tests.content.test_browser import _axe_violations, _describe
from tests.security.helpers import current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_ANSWER = "A clearer answer, checked by our clinical reviewer."
CREDIT = "Dr Dana Reed, medical oncologist"


@pytest.fixture(autouse=True)
def seed_content(transactional_db) -> None:
    """The live server needs committed rows; transactional tests empty the tables after
    each test, so load the page again the way its data migration does."""
    from importlib import import_module

    from django.apps import apps

    import_module("content.migrations.0002_seed_cik_gastric_cancer").load(apps, None)


def _person(username: str, role: str, **names: str) -> User:
    user = User.objects.create_user(
        username=username, password=STAFF_PASSWORD, is_staff=True, **names
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def open_browser(browser, live_server) -> Iterator:
    """open_browser(user=None, width=…): a browser signed in as the user, through the admin's
    sign-in form with the code of their authenticator, or as nobody."""
    contexts = []

    def open_(user: User | None, width: int):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        if user is not None:
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
            tab.goto("/admin/login/")
            _no_serious_violations(tab, "the sign-in page")
            tab.get_by_label("Username").fill(user.username)
            tab.get_by_label("Password").fill(STAFF_PASSWORD)
            tab.locator("input[name='otp_token']").fill(current_code(device))
            tab.get_by_role("button", name="Sign in").click()
            tab.wait_for_url("**/admin/")
        return tab

    yield open_
    for context in contexts:
        context.close()


def _no_serious_violations(tab, where: str) -> None:
    violations = _axe_violations(tab)
    assert not violations, f"{where} ({tab.url}):\n" + _describe(violations)


def _public_text(public) -> str:
    response = public.goto(SEED_PATH)
    assert response.status == 200, f"the public page answered {response.status}"
    return public.locator("main").inner_text()


@pytest.mark.parametrize("width", [1280, 390])
def test_an_editor_drafts_previews_gets_a_review_publishes_and_restores(open_browser, width):
    editor = _person("editor", CONTENT_EDITORS, first_name="Eve", last_name="Editor")
    reviewer = _person("reviewer", CLINICAL_REVIEWERS, first_name="Dana", last_name="Reed")
    page = InformationPage.objects.get(path=SEED_PATH)
    public = open_browser(None, width)
    desk = open_browser(editor, width)
    clinic = open_browser(reviewer, width)

    as_published = _public_text(public)
    _no_serious_violations(public, "the public page")

    # 1. A draft of the published page.
    desk.goto(f"/admin/content/informationpage/{page.pk}/change/")
    _no_serious_violations(desk, "the published page in the admin")
    assert desk.locator("textarea[name$='-answer']").count() == 0  # read-only here
    desk.get_by_role("button", name="Edit in a draft").click()
    desk.wait_for_url("**/change/")
    draft = InformationPage.objects.get(draft_of=page)
    assert desk.url.endswith(f"/admin/content/informationpage/{draft.pk}/change/")
    _no_serious_violations(desk, "the draft in the admin")
    answer = desk.locator("textarea[name$='-answer']").first
    old_answer = answer.input_value()
    answer.fill(NEW_ANSWER)
    desk.locator("input[name='_continue']").click()
    desk.wait_for_load_state()
    assert desk.locator("textarea[name$='-answer']").first.input_value() == NEW_ANSWER
    # The live page is unchanged.
    assert _public_text(public) == as_published

    # 2. Preview.
    desk.get_by_role("link", name="Preview this draft").click()
    assert NEW_ANSWER in desk.locator("main").inner_text()
    assert "the public still sees the published page" in desk.locator("main").inner_text()
    _no_serious_violations(desk, "the draft's preview")
    desk.go_back()

    # 3. Sent for review; another person reviews it.
    desk.get_by_label("What changed, in a sentence").fill("A clearer first answer.")
    desk.get_by_role("button", name="Send for clinical review").click()
    desk.wait_for_url("**/pagerevision/**")
    revision = PageRevision.objects.get(page=page, created_by=editor)
    assert "Awaiting clinical review" in desk.locator("#revision-state").inner_text()
    assert desk.get_by_role("button", name="Record my clinical review").count() == 0
    _no_serious_violations(desk, "the revision, for its author")
    assert _public_text(public) == as_published

    clinic.goto(f"/admin/content/pagerevision/{revision.pk}/change/")
    assert NEW_ANSWER.split(",")[0] in clinic.locator("table.revision-changes").inner_text()
    _no_serious_violations(clinic, "the revision, for its reviewer")
    clinic.get_by_role("link", name="Preview this revision").click()
    assert NEW_ANSWER in clinic.locator("main").inner_text()
    _no_serious_violations(clinic, "the revision's preview")
    clinic.go_back()
    due = timezone.localdate() + datetime.timedelta(days=365)
    clinic.get_by_label("Your name and role, as the page will show them").fill(CREDIT)
    clinic.get_by_label("Next review due").fill(due.isoformat())
    clinic.get_by_role("button", name="Record my clinical review").click()
    clinic.wait_for_load_state()
    assert CREDIT in clinic.locator("#revision-review").inner_text()
    assert clinic.get_by_role("button", name="Publish this revision").count() == 0
    _no_serious_violations(clinic, "the reviewed revision")
    assert _public_text(public) == as_published

    # 4. Publish: the public sees the change and its review at once.
    desk.reload()
    desk.get_by_role("button", name="Publish this revision").click()
    desk.wait_for_load_state()
    assert (
        "Published: this is what the public sees" in desk.locator("#revision-state").inner_text()
    )
    _no_serious_violations(desk, "the published revision")
    published = _public_text(public)
    assert NEW_ANSWER in published
    assert old_answer not in published
    assert f"by {CREDIT}" in published
    assert "awaiting its clinical review" not in published
    _no_serious_violations(public, "the published page")

    # 5. Restore the page as it was.
    desk.goto(f"/admin/content/pagerevision/?page__id__exact={page.pk}")
    _no_serious_violations(desk, "the list of revisions")
    desk.get_by_role("link", name="CIK Therapy for Gastric Cancer, revision 1").click()
    assert "Changes" in desk.locator("#changes-h").inner_text()
    _no_serious_violations(desk, "the first revision")
    desk.get_by_role("button", name="Restore this revision").click()
    desk.wait_for_load_state()
    assert "Revision 1 restored" in desk.locator(".messagelist").inner_text()
    assert _public_text(public) == as_published
    assert PageRevision.objects.filter(page=page, restored_from__number=1).exists()
