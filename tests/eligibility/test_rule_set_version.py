"""A rule cannot change without a new rule_set_version.

The checksum covers the table (ids, wording, evidence) and the source of every function
and constant that decides a result. When this test fails after a deliberate change: bump
RULE_SET_VERSION in navigation/eligibility.py and add the new pair below (keep the old ones:
stored pre-screens name the version they were made with).
"""

import hashlib
import inspect
import json
from dataclasses import asdict

from navigation import eligibility

PINNED = {
    "2026.11-1": "e19f0007e15ab835d311c165167b0b7a969cc4e706412d8e5670feb0518c5060",
}


def rules_checksum() -> str:
    functions = [
        eligibility.Profile,  # its fields, and how a stage reduces to its group
        eligibility._is,
        eligibility._all,
        eligibility._any,
        *eligibility.RULES.values(),
        eligibility.decide_outcome,
        eligibility.plan_timeline,
        eligibility.advise,
        eligibility.prescreen,
    ]
    canonical = {
        "criteria": [asdict(c) for c in eligibility.CRITERIA],
        "rules": {cid: rule.__name__ for cid, rule in eligibility.RULES.items()},
        "source": [inspect.getsource(function) for function in functions],
        "constants": {
            "excluding": eligibility.EXCLUDING_CRITERION,
            "settings": eligibility.SETTING_CRITERIA,
            "modifying": eligibility.MODIFYING_CRITERIA,
            "evidence_order": eligibility.EVIDENCE_ORDER,
            "timeline_days": eligibility.TIMELINE_DAYS,
            "peritoneal_advisory": eligibility.PERITONEAL_ADVISORY,
            "disclaimer": eligibility.DISCLAIMER,
            "stage_pattern": eligibility.STAGE_PATTERN.pattern,
            "values": [
                eligibility.GASTRECTOMY_VALUES,
                eligibility.REGIMEN_VALUES,
                eligibility.HER2_VALUES,
                eligibility.LAUREN_VALUES,
                eligibility.ECOG_VALUES,
            ],
        },
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_rules_match_the_checksum_pinned_for_their_version():
    version = eligibility.RULE_SET_VERSION
    assert version in PINNED, f"pin the checksum of rule set {version}: {rules_checksum()}"
    assert rules_checksum() == PINNED[version], (
        f"the rules changed but RULE_SET_VERSION is still {version}: bump it and pin "
        f"{rules_checksum()}"
    )


def test_every_criterion_has_exactly_one_rule():
    assert list(eligibility.RULES) == [c.id for c in eligibility.CRITERIA]


def test_the_version_fits_where_cases_store_it():
    # navigation.Case.prescreen_rule_set_version is a CharField(max_length=20).
    assert 0 < len(eligibility.RULE_SET_VERSION) <= 20
