"""The CIK gastric cancer eligibility engine: the documented table and the pre-screen.

Pure Python: no Django import, dataclasses in and out, tested without a database. The
public page renders its eligibility table from `CRITERIA`, and the pre-screen decides each
row, so the two cannot drift apart. Other modules import from here only:

- `criteria`: the table (`CRITERIA`) and the codes of a decision (`Status`, `Outcome`);
- `profile`: the input (`Profile`), `parse_profile` (raw JSON-like input -> `Profile` or
  errors), `profile_as_query` / `profile_from_query` (the query-string contract between the
  checker and `/submit/`), `FIELD_DOCUMENTS` (which record would settle an unknown answer);
- `rules`: the versioned rule set and `prescreen` (`Profile` -> `Result`; `Result.as_dict`
  is the API shape).
"""

from navigation.eligibility.criteria import (
    CRITERIA,
    CRITERIA_BY_ID,
    STATUS_LABELS,
    Criterion,
    Evidence,
    Outcome,
    Status,
    outcome_label,
)
from navigation.eligibility.profile import (
    ECOG_VALUES,
    FIELD_DOCUMENTS,
    FIELD_NAMES,
    FIELD_WORDS,
    GASTRECTOMY_VALUES,
    HER2_VALUES,
    LAUREN_VALUES,
    REGIMEN_VALUES,
    STAGE_GROUP_OF,
    STAGE_GROUPS,
    STAGE_VALUES,
    DocumentHint,
    Profile,
    parse_profile,
    profile_as_query,
    profile_from_query,
)
from navigation.eligibility.rules import (
    DISCLAIMER,
    EXCLUDING_CRITERION,
    PERITONEAL_ADVISORY,
    RULE_SET_VERSION,
    TIMELINE_LABELS,
    WINDOW_CLOSED_ADVISORY,
    CriterionResult,
    Result,
    Timeline,
    prescreen,
    timeline_explanation,
)

__all__ = [
    "CRITERIA",
    "CRITERIA_BY_ID",
    "DISCLAIMER",
    "ECOG_VALUES",
    "EXCLUDING_CRITERION",
    "FIELD_DOCUMENTS",
    "FIELD_NAMES",
    "FIELD_WORDS",
    "GASTRECTOMY_VALUES",
    "HER2_VALUES",
    "LAUREN_VALUES",
    "PERITONEAL_ADVISORY",
    "REGIMEN_VALUES",
    "RULE_SET_VERSION",
    "STAGE_GROUPS",
    "STAGE_GROUP_OF",
    "STAGE_VALUES",
    "STATUS_LABELS",
    "TIMELINE_LABELS",
    "WINDOW_CLOSED_ADVISORY",
    "Criterion",
    "CriterionResult",
    "DocumentHint",
    "Evidence",
    "Outcome",
    "Profile",
    "Result",
    "Status",
    "Timeline",
    "outcome_label",
    "parse_profile",
    "prescreen",
    "profile_as_query",
    "profile_from_query",
    "timeline_explanation",
]
