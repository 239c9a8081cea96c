"""The behaviour pin of a rule set: what the rules decide, not how their code is written.

A pin file (`pins/<version>.json`) holds the rule table's data (every criterion's wording
and evidence, the accepted values, the constants the rules use) and a fixed grid of
profiles with what the engine decided for each. The grid is generated once, from anchor
profiles near every decision boundary, perturbed deterministically (a hash, not a random
generator, so no interpreter version can change it), and stored: the test reads the
stored profiles, so changing this generator never changes what a pin checks.

After a deliberate change of the rules: bump RULE_SET_VERSION in navigation/eligibility/rules.py,
then write the new pin with `python -m tests.eligibility.rule_set_pin` and commit it.
"""

import hashlib
import json
import sys
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

from navigation import eligibility
from navigation.eligibility import prescreen, rules

PINS = Path(__file__).parent / "pins"
TODAY = date(2026, 12, 2)
GRID_SIZE = 720
STATUS_LETTERS = {"met": "m", "not_met": "n", "unknown": "u"}

VALUES: dict[str, tuple[object, ...]] = {
    "stage": eligibility.STAGE_VALUES,
    "gastrectomy": eligibility.GASTRECTOMY_VALUES,
    "curative_intent": (True, False),
    "surgery_date": tuple(
        (TODAY - timedelta(days=d)).isoformat() for d in (0, 20, 28, 29, 100, 365, 366, 900)
    ),
    "metastatic": (True, False),
    "peritoneal_metastasis": (True, False),
    "prior_lines": (0, 1, 2, 3, 7),
    "first_line_regimen": eligibility.REGIMEN_VALUES,
    "her2_status": eligibility.HER2_VALUES,
    "trastuzumab": (True, False),
    "lauren_type": eligibility.LAUREN_VALUES,
    "signet_ring": (True, False),
    "ecog": eligibility.ECOG_VALUES,
    "severe_malnutrition": (True, False),
}
CLEAR = {
    "her2_status": "negative",
    "trastuzumab": False,
    "lauren_type": "intestinal",
    "signet_ring": False,
    "ecog": 1,
    "severe_malnutrition": False,
}
ANCHORS: tuple[dict[str, object], ...] = (
    {},
    CLEAR,
    {
        "stage": "IIIA",
        "gastrectomy": "d2",
        "curative_intent": True,
        "metastatic": False,
        "surgery_date": (TODAY - timedelta(days=20)).isoformat(),
        "prior_lines": 0,
        **CLEAR,
    },
    {
        "stage": "III",
        "metastatic": False,
        "gastrectomy": "none",
        "prior_lines": 0,
        "first_line_regimen": "FOLFOX",
        **CLEAR,
    },
    {"stage": "IVA", "metastatic": False, "gastrectomy": "none", "prior_lines": 0, **CLEAR},
    {"stage": "IV", "metastatic": True, "prior_lines": 0, **CLEAR},
    {
        "stage": "IVB",
        "metastatic": True,
        "prior_lines": 0,
        **CLEAR,
        "her2_status": "positive",
        "trastuzumab": True,
    },
    {"stage": "III", "metastatic": False, "peritoneal_metastasis": True, "prior_lines": 0},
    {"stage": "IVB", "prior_lines": 2, **CLEAR},
    {
        "stage": "II",
        "gastrectomy": "d2",
        "curative_intent": True,
        "metastatic": False,
        "surgery_date": (TODAY - timedelta(days=40)).isoformat(),
        **CLEAR,
    },
)


def _pick(seed: str, modulo: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % modulo


def generate_grid() -> list[dict[str, object]]:
    """Anchor profiles, each perturbed in 0-4 fields (set to a value or to unknown)."""
    names = list(VALUES)
    grid: list[dict[str, object]] = []
    for i in range(GRID_SIZE):
        answers = dict(ANCHORS[_pick(f"{i}:anchor", len(ANCHORS))])
        for j in range(_pick(f"{i}:count", 5)):
            name = names[_pick(f"{i}:{j}:field", len(names))]
            options = (None, *VALUES[name])
            value = options[_pick(f"{i}:{j}:value", len(options))]
            if value is None:
                answers.pop(name, None)
            else:
                answers[name] = value
        grid.append({name: answers[name] for name in names if name in answers})
    return grid


def table_data() -> dict[str, object]:
    """The rule table and every constant a rule reads, as plain data."""
    return {
        "criteria": [asdict(c) for c in eligibility.CRITERIA],
        "rules": list(rules.RULES),
        "stage_groups": eligibility.STAGE_GROUP_OF,
        "values": {
            name: list(values) for name, values in VALUES.items() if name != "surgery_date"
        },
        "excluding": eligibility.EXCLUDING_CRITERION,
        "settings": list(rules.SETTING_CRITERIA),
        "modifying": list(rules.MODIFYING_CRITERIA),
        "evidence_order": [e.value for e in rules.EVIDENCE_ORDER],
        "first_line_regimens": list(rules.FIRST_LINE_REGIMENS),
        "post_surgery_days": rules.POST_SURGERY_DAYS,
        "timeline_days": rules.TIMELINE_DAYS,
        "advisories": {
            "peritoneal": eligibility.PERITONEAL_ADVISORY,
            "window_closed": eligibility.WINDOW_CLOSED_ADVISORY,
        },
        "disclaimer": eligibility.DISCLAIMER,
    }


def decide(answers: dict[str, object], today: date) -> dict[str, object]:
    """What the engine decides for one stored profile, in the pin's compact shape."""
    profile, errors = eligibility.parse_profile(answers, today=today)
    assert profile is not None, errors
    result = prescreen(profile, today=today).as_dict()
    advisories = {text: key for key, text in table_data()["advisories"].items()}
    return {
        "outcome": result["outcome"],
        "provisional": result["provisional"],
        "statuses": "".join(STATUS_LETTERS[c["status"]] for c in result["criteria"]),
        "missing": result["missing"],
        "timeline": result["timeline"],
        "advisories": [advisories[text] for text in result["advisories"]],
    }


def pin_path(version: str) -> Path:
    return PINS / f"{version}.json"


def write_pin() -> Path:
    path = pin_path(eligibility.RULE_SET_VERSION)
    rows = [{"answers": answers, **decide(answers, TODAY)} for answers in generate_grid()]
    head = {
        "rule_set_version": eligibility.RULE_SET_VERSION,
        "today": TODAY.isoformat(),
        "table": table_data(),
    }
    # One profile a line, so a changed rule shows as a readable diff.
    lines = ",\n".join(json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows)
    text = json.dumps(head, ensure_ascii=False, indent=1, sort_keys=True)[:-2]
    path.write_text(f'{text},\n "grid": [\n{lines}\n]\n}}\n', encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_pin()}", file=sys.stderr)
