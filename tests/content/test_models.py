"""Rules that hold whatever the route in: model validation, constraints, charts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from content.charts import range_chart, range_text
from content.models import FAQ, EvidenceOutcome, InformationPage, PageStatus
from tests.content.factories import add_outcomes, make_page, seed_page

pytestmark = pytest.mark.django_db


def _outcome(**changes) -> EvidenceOutcome:
    outcome = add_outcomes(make_page(), 1)[0]
    for name, value in changes.items():
        setattr(outcome, name, value)
    return outcome


def test_published_returns_only_published_pages():
    make_page(path="/cik/lung-cancer/", status=PageStatus.DRAFT)
    assert list(InformationPage.objects.published()) == [seed_page()]


def test_a_range_whose_low_exceeds_its_high_is_refused_with_the_arm_named():
    outcome = _outcome(control_low=Decimal(50), control_high=Decimal(45))
    with pytest.raises(ValidationError) as caught:
        outcome.full_clean()
    assert caught.value.message_dict["control_low"] == [
        "chemo alone: the low figure (50) is above the high figure (45)."
    ]


def test_a_percentage_over_100_is_refused_but_other_units_may_exceed_it():
    outcome = _outcome(treatment_high=Decimal("100.5"))
    with pytest.raises(ValidationError) as caught:
        outcome.full_clean()
    assert "cannot be over 100" in caught.value.message_dict["treatment_high"][0]
    outcome.unit = "months"
    outcome.full_clean()


def test_the_database_refuses_an_inverted_range_that_skipped_validation():
    outcome = _outcome(treatment_low=Decimal(90))
    with pytest.raises(IntegrityError), transaction.atomic():
        outcome.save()


def test_an_empty_or_blank_faq_answer_is_refused_in_words():
    faq = FAQ(page=seed_page(), question="Why?", answer="  \n ")
    with pytest.raises(ValidationError) as caught:
        faq.full_clean()
    assert caught.value.message_dict["answer"] == [
        "Write an answer: a question without one cannot be shown."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        FAQ.objects.create(page=seed_page(), question="Why?", answer="")


def test_charts_place_both_arms_on_one_0_to_100_axis():
    outcome = _outcome(
        treatment_low=Decimal(70),
        treatment_high=Decimal(76),
        control_low=Decimal(55),
        control_high=Decimal("62.5"),
    )
    chart = range_chart(outcome)
    assert chart.axis_max == 100
    treatment, control = chart.bars
    assert (treatment.x, treatment.width, treatment.text) == ("70", "6", "~70–76%")
    assert (control.x, control.width, control.text) == ("55", "7.5", "~55–62.5%")
    assert [label for _x, label in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert "Measure 0 (CIK + chemo): ~70–76%." in chart.description


def test_charts_in_other_units_scale_to_their_largest_figure():
    outcome = _outcome(
        unit="months",
        approximate=False,
        treatment_low=Decimal(12),
        treatment_high=Decimal(16),
        control_low=Decimal(10),
        control_high=Decimal(14),
    )
    chart = range_chart(outcome)
    assert chart.axis_max == 20
    assert chart.bars[0].x == "60"
    assert chart.bars[0].text == "12–16 months"


def test_a_single_value_reads_as_one_figure():
    assert range_text(low=Decimal(5), high=Decimal(5), unit="%", approximate=False) == "5%"


def test_each_change_to_a_part_is_kept_in_its_history_with_who_and_when(editor):
    faq = FAQ.objects.filter(page=seed_page()).first()
    first = faq.answer
    faq.answer = "Second wording."
    faq._history_user = editor
    faq.save()
    records = list(faq.history.order_by("history_id"))
    assert [r.answer for r in records][-2:] == [first, "Second wording."]
    assert records[-1].history_user == editor
    assert records[0].history_type == "+"


def test_eligibility_rows_follow_the_rule_table(client, monkeypatch):
    from navigation import eligibility

    changed = (
        eligibility.CRITERIA[0].__class__(
            id="new_rule",
            factor="A factor added to the rules",
            evidence=eligibility.Evidence.LIMITED,
            evidence_label="Limited data",
            note="Shown because the rules say so",
        ),
        *eligibility.CRITERIA,
    )
    monkeypatch.setattr("content.presentation.CRITERIA", changed)
    html = client.get("/cik/gastric-cancer/").content.decode()
    assert "A factor added to the rules" in html
    assert html.count('<th scope="row">') == len(changed)


def test_a_page_is_due_for_review_when_never_reviewed_or_past_its_date():
    import datetime

    import time_machine

    page = seed_page()
    assert page.review_is_due
    page.last_reviewed = datetime.date(2026, 11, 1)
    page.next_review_due = datetime.date(2027, 5, 1)
    with time_machine.travel(datetime.datetime(2027, 4, 30, 12, tzinfo=datetime.UTC)):
        assert not page.review_is_due
    with time_machine.travel(datetime.datetime(2027, 5, 1, 12, tzinfo=datetime.UTC)):
        assert page.review_is_due
