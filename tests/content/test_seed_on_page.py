"""Acceptance 1: every fact of the source document is on the rendered page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.content.pagetext import main_text, normalise

SEED = Path(settings.BASE_DIR) / "content" / "seed" / "cik-gastric-cancer.txt"
SHARED_SEED = Path("/work/shared/seed/cik-gastric-cancer.txt")
PAGE = "/cik/gastric-cancer/"


def parse_seed() -> dict[str, list[str]]:
    """Split the source into what the page must say: the title, the table rows (cells
    joined in order) and every other line (bullets without their dash)."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    title, lines = " ".join(lines[:2]), lines[2:]
    parsed: dict[str, list[str]] = {"title": [title], "rows": [], "lines": []}
    for line in lines:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-", ":"}:
                continue
            parsed["rows"].append(" ".join(cells))
        elif line.startswith("- "):
            parsed["lines"].append(line[2:])
        else:
            parsed["lines"].append(line)
    return parsed


@pytest.fixture(params=["as seeded", "republished through a revision", "revision preview"])
def page_text(request, client, db) -> str:
    """The page as the public sees it, also after a draft of it went round the revision
    cycle, and a revision's preview as reviewers see it: no step may lose a fact."""
    if request.param != "as seeded":
        from django.contrib.auth.models import User

        from content.models import InformationPage
        from content.services.revisions import page_draft_open, revision_create, revision_publish

        editor = User.objects.create_user(username="seed-editor", is_staff=True)
        page = InformationPage.objects.get(path=PAGE)
        revision = revision_create(draft=page_draft_open(page=page), author=editor)
        if request.param == "revision preview":
            from tests.conftest import staff_client

            editor.is_superuser = True
            editor.save()
            url = f"/admin/content/pagerevision/{revision.pk}/preview/"
            response = staff_client(client, editor).get(url)
            assert response.status_code == 200
            return main_text(response.content.decode())
        revision_publish(revision=revision, publisher=editor)
    response = client.get(PAGE)
    assert response.status_code == 200
    return main_text(response.content.decode())


def test_the_repository_copy_of_the_source_is_the_shared_one():
    if not SHARED_SEED.exists():
        pytest.skip("the shared source document is not mounted here")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_the_source_parses_into_the_parts_the_issue_names():
    seed = parse_seed()
    # The header row and seven criteria.
    assert len(seed["rows"]) == 8
    questions = [line for line in seed["lines"] if line.endswith("?")]
    # Four FAQs and the call to action's question.
    assert len(questions) == 5
    assert sum(line.startswith("We ") for line in seed["lines"]) >= 4


def test_the_title_is_on_the_page(page_text):
    (title,) = parse_seed()["title"]
    assert normalise(title).casefold() in page_text.casefold()


def test_every_sentence_and_figure_of_the_source_is_on_the_page(page_text):
    missing = [line for line in parse_seed()["lines"] if normalise(line) not in page_text]
    assert not missing, "missing from the page:\n" + "\n".join(missing)


def test_every_eligibility_row_is_on_the_page_with_its_level_and_note(page_text):
    rows = parse_seed()["rows"]
    missing = [row for row in rows if normalise(row) not in page_text]
    assert not missing, "rows missing from the page:\n" + "\n".join(missing)


def test_the_page_carries_no_icon_names(client, db):
    html = client.get(PAGE).content.decode()
    for icon_word in ("fa-", "bi-", "material-icons", "icon-"):
        assert icon_word not in html
