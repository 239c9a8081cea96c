"""A rule cannot change without a new rule_set_version.

The pin is behaviour, not syntax: for the current version, `pins/<version>.json` stores the
rule table's data and what the engine decided for a fixed grid of profiles (see
`rule_set_pin`). The same data passes or fails on every Python version. When this fails
after a deliberate change: bump RULE_SET_VERSION in navigation/eligibility/rules.py, run
`python -m tests.eligibility.rule_set_pin` and commit the new pin file.
"""

import json
from datetime import date

import pytest

from navigation import eligibility
from navigation.eligibility import rules
from tests.eligibility.rule_set_pin import decide, pin_path, table_data

VERSION = eligibility.RULE_SET_VERSION
HOW = "bump RULE_SET_VERSION and run `python -m tests.eligibility.rule_set_pin`"


@pytest.fixture(scope="module")
def pin() -> dict:
    path = pin_path(VERSION)
    assert path.exists(), f"rule set {VERSION} has no pin: {HOW}"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_rule_table_matches_the_data_pinned_for_its_version(pin):
    assert pin["rule_set_version"] == VERSION
    assert table_data() == pin["table"], f"the rule table changed under {VERSION}: {HOW}"


def test_every_profile_of_the_grid_is_decided_as_pinned_for_the_version(pin):
    today = date.fromisoformat(pin["today"])
    changed = [
        (row["answers"], expected, actual)
        for row in pin["grid"]
        if (actual := decide(row["answers"], today))
        != (expected := {k: v for k, v in row.items() if k != "answers"})
    ]
    assert not changed, (
        f"{len(changed)} of {len(pin['grid'])} profiles are decided differently under "
        f"{VERSION}: {HOW}. First: {changed[0]}"
    )


def test_the_grid_reaches_every_outcome_and_every_status_of_every_criterion(pin):
    # A pin is only as good as the branches its grid crosses.
    grid = pin["grid"]
    assert {row["outcome"] for row in grid} == {o.value for o in eligibility.Outcome}
    for index in range(len(eligibility.CRITERIA)):
        assert {row["statuses"][index] for row in grid} == {"m", "n", "u"}
    assert any(row["timeline"] for row in grid)
    assert {key for row in grid for key in row["advisories"]} == {"peritoneal", "window_closed"}


def test_every_criterion_has_exactly_one_rule():
    assert list(rules.RULES) == [c.id for c in eligibility.CRITERIA]


def test_the_version_fits_where_cases_store_it():
    # navigation.Case.prescreen_rule_set_version is a CharField(max_length=20).
    assert 0 < len(eligibility.RULE_SET_VERSION) <= 20
