"""The checker and the records intake ask their shared clinical questions in one wording."""

import pytest

from navigation import eligibility
from navigation.forms import PrescreenForm
from records import vocabulary
from records.forms import ClinicalProfileForm

# The engine's field name in the checker -> the same question's field in the intake.
SHARED = {name: name for name in vocabulary.SHARED} | {"her2_status": "her2_reported_status"}


def as_text(choices) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices]


@pytest.mark.parametrize("name", sorted(SHARED))
def test_both_forms_ask_the_shared_question_with_the_same_label_help_and_choices(name):
    checker = PrescreenForm().fields[name]
    intake = ClinicalProfileForm().fields[SHARED[name]]
    assert str(checker.label) == str(intake.label) == str(vocabulary.SHARED[name].label)
    assert str(checker.help_text) == str(intake.help_text)
    assert type(checker.widget) is type(intake.widget)
    if name == "surgery_date":
        return
    # One "I don't know" answer, in the same place with the same words.
    assert as_text(checker.choices) == as_text(intake.choices)
    assert (vocabulary.UNKNOWN, "I don't know") in as_text(checker.choices)


def test_the_checker_asks_every_engine_field_from_the_shared_definitions():
    assert set(vocabulary.SHARED) == set(eligibility.FIELD_NAMES)
    assert set(PrescreenForm().fields) == set(eligibility.FIELD_NAMES)


@pytest.mark.parametrize(
    ("name", "engine_values"),
    [
        ("stage", eligibility.STAGE_VALUES),
        ("gastrectomy", eligibility.GASTRECTOMY_VALUES),
        ("first_line_regimen", eligibility.REGIMEN_VALUES),
        ("her2_status", eligibility.HER2_VALUES),
        ("lauren_type", eligibility.LAUREN_VALUES),
        ("ecog", tuple(str(v) for v in eligibility.ECOG_VALUES)),
    ],
)
def test_the_choices_are_the_values_the_engine_reads(name, engine_values):
    assert tuple(value for value, _ in vocabulary.SHARED[name].choices) == engine_values


def test_a_line_of_treatment_is_defined_as_the_clinical_review_asked():
    help_text = str(vocabulary.SHARED["prior_lines"].help_text)
    assert "changed because the cancer grew" in help_text
    assert "around an operation" in help_text
    assert "side effects" in help_text


def test_the_peritoneum_is_named_as_distant_spread():
    assert "peritoneum" in str(vocabulary.SHARED["metastatic"].help_text)
    assert "distant spread" in str(vocabulary.SHARED["peritoneal_metastasis"].help_text)
