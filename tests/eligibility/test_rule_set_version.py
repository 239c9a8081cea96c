"""A rule cannot change without a new rule_set_version.

The checksum covers the table (ids, wording, evidence), the code of every function that
decides a result (as a syntax tree: comments, docstrings and formatting do not count) and
the constants they use. When this test fails after a deliberate change: bump
RULE_SET_VERSION in navigation/eligibility.py and add the new pair below (keep the old ones:
stored pre-screens name the version they were made with).
"""

import ast
import hashlib
import inspect
import json
import textwrap
from dataclasses import asdict

from navigation import eligibility

PINNED = {
    "2026.11-1": "75bd940af07c7a9bbe95b3756bdf683e087a62dc99e936c5b27e376d831a3866",
}


def code_of(function) -> str:
    """The function's syntax tree without docstrings: what it does, not how it reads."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


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
        "code": [code_of(function) for function in functions],
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
