"""Properties that hold for every well-typed profile, checked with hypothesis."""

import json
from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from navigation.eligibility import (
    ECOG_VALUES,
    FIELD_NAMES,
    GASTRECTOMY_VALUES,
    HER2_VALUES,
    LAUREN_VALUES,
    REGIMEN_VALUES,
    STAGE_VALUES,
    Outcome,
    Profile,
    Status,
    parse_profile,
    prescreen,
)

TODAY = date(2026, 11, 28)

VALUES = {
    "stage": st.sampled_from(STAGE_VALUES),
    "gastrectomy": st.sampled_from(GASTRECTOMY_VALUES),
    "curative_intent": st.booleans(),
    "surgery_date": st.dates(max_value=TODAY),
    "metastatic": st.booleans(),
    "peritoneal_metastasis": st.booleans(),
    "prior_lines": st.integers(min_value=0, max_value=10**6),
    "first_line_regimen": st.sampled_from(REGIMEN_VALUES),
    "her2_status": st.sampled_from(HER2_VALUES),
    "trastuzumab": st.booleans(),
    "lauren_type": st.sampled_from(LAUREN_VALUES),
    "signet_ring": st.booleans(),
    "ecog": st.sampled_from(ECOG_VALUES),
    "severe_malnutrition": st.booleans(),
}
assert set(VALUES) == set(FIELD_NAMES)

profiles = st.builds(Profile, **{name: st.none() | values for name, values in VALUES.items()})


@st.composite
def profile_and_a_filled_in_answer(draw):
    profile = draw(profiles)
    unknown = [name for name in FIELD_NAMES if getattr(profile, name) is None]
    if not unknown:
        return profile, profile
    name = draw(st.sampled_from(unknown))
    return profile, replace(profile, **{name: draw(VALUES[name])})


@given(profiles)
def test_the_engine_never_raises_and_always_answers_in_json(profile):
    result = prescreen(profile, today=TODAY)
    body = json.loads(json.dumps(result.as_dict()))
    assert body["outcome"] in {o.value for o in Outcome}
    assert len(body["criteria"]) == 7
    assert body["missing"] == sorted(body["missing"])
    assert set(body["missing"]) <= set(FIELD_NAMES)


@given(profiles)
def test_every_criterion_of_every_answer_has_a_reason(profile):
    for criterion in prescreen(profile, today=TODAY).as_dict()["criteria"]:
        assert criterion["reason"].strip()
        assert criterion["reason"].endswith(".")


@given(profiles)
def test_poor_performance_or_malnutrition_always_excludes(profile):
    result = prescreen(profile, today=TODAY)
    if result.status("poor_performance_or_malnutrition") is Status.MET:
        assert result.outcome is Outcome.EXCLUDED


def reads_a_default(before: Profile, after: Profile) -> bool:
    """The two answers whose "unknown" the contract reads as a value, so filling them in
    may change a decided criterion: an unknown operation date counts as within the year,
    and an unanswered peritoneum counts as no spread once distant spread is answered no."""
    return before.surgery_date != after.surgery_date or (
        before.metastatic is False
        and before.peritoneal_metastasis is None
        and after.peritoneal_metastasis is True
    )


@given(profile_and_a_filled_in_answer())
def test_filling_in_an_unknown_never_turns_a_met_criterion_into_not_met(pair):
    if reads_a_default(*pair):
        return
    before, after = (prescreen(profile, today=TODAY) for profile in pair)
    for old, new in zip(before.criteria, after.criteria, strict=True):
        if old.status is Status.MET:
            assert new.status is not Status.NOT_MET
        # Stronger: an answer only ever decides what was open; decided stays decided.
        if old.status is not Status.UNKNOWN:
            assert new.status is old.status


@given(profiles)
def test_missing_names_only_unknown_fields_and_an_empty_list_means_all_decided(profile):
    result = prescreen(profile, today=TODAY)
    assert all(getattr(profile, name) is None for name in result.missing)
    undecided = [c for c in result.criteria if c.status is Status.UNKNOWN]
    assert bool(result.missing) == bool(undecided)


@given(profiles)
def test_an_evidence_outcome_is_provisional_exactly_when_a_modifier_is_open(profile):
    result = prescreen(profile, today=TODAY)
    modifiers = ("her2_trastuzumab", "diffuse_signet_ring", "poor_performance_or_malnutrition")
    open_modifier = any(result.status(cid) is Status.UNKNOWN for cid in modifiers)
    is_evidence = result.outcome.value in {"strong", "good", "available", "limited"}
    assert result.provisional is (is_evidence and open_modifier)


@given(profiles)
def test_a_profile_survives_its_own_json(profile):
    assert parse_profile(profile.known(), today=TODAY) == (profile, {})
