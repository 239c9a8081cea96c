"""Centre matching: ranked with reasons; example centres loaded once, marked as examples."""

import pytest
from django.core.management import call_command

from navigation.matching import centres_rank, load_example_centres
from navigation.models import Centre
from navigation.services.review import case_review_open
from tests.navigation.factories import make_case

pytestmark = pytest.mark.django_db


def centre(name: str, **offers) -> Centre:
    offers.setdefault("languages", "English")
    return Centre.objects.create(name=name, city="Somewhere", **offers)


def test_a_post_d2_case_ranks_adjuvant_centres_first(coordinator):
    adjuvant = centre("Adjuvant", offers_adjuvant_cik=True)
    centre("First line", offers_cik_first_line=True)
    case = make_case()  # stage III, D2 gastrectomy, curative intent
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    [best, other] = centres_rank(case=case)
    assert best.centre == adjuvant
    assert "Offers adjuvant CIK after D2 gastrectomy" in best.reasons
    assert any("No adjuvant CIK" in gap for gap in other.gaps)


def test_a_metastatic_her2_positive_peritoneal_case_wants_all_three(coordinator):
    full = centre(
        "Full",
        offers_cik_first_line=True,
        her2_experience=True,
        intraperitoneal_cik_trials=True,
    )
    centre("Partial", offers_cik_first_line=True)
    case = make_case(
        stage="IV",
        metastatic=True,
        peritoneal_metastasis=True,
        gastrectomy="none",
        curative_intent=None,
        her2_ihc="3+",
    )
    case_review_open(case_id=case.pk)
    case.refresh_from_db()
    ranked = centres_rank(case=case)
    assert ranked[0].centre == full
    assert len(ranked[0].reasons) == 4  # first line, HER2, intraperitoneal, language
    assert ranked[0].score > ranked[1].score


def test_language_counts_and_inactive_centres_are_left_out(coordinator):
    centre("Speaks Arabic", offers_adjuvant_cik=True, languages="Arabic, English")
    centre("Closed", offers_adjuvant_cik=True, active=False)
    case = make_case()
    case.patient.preferred_language = "arabic"
    case.patient.save()
    ranked = centres_rank(case=case)
    assert [m.centre.name for m in ranked] == ["Speaks Arabic"]
    assert "Staff speak arabic" in ranked[0].reasons


def test_the_example_centres_load_once_and_say_they_are_examples():
    load_example_centres()
    call_command("loaddemo")
    call_command("loaddemo")
    examples = Centre.objects.filter(is_example=True)
    assert examples.count() == 3
    assert all("example" in str(c).lower() and "Example" in c.name for c in examples)
