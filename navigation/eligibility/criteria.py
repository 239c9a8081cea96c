"""The documented CIK gastric cancer eligibility table, and the codes of its decisions.

Wording of `factor`, `evidence_label` and `note` is the source document's, exactly. The
public page renders its eligibility table from `CRITERIA`; `rules` decides each row.
"""

from dataclasses import dataclass
from enum import StrEnum


class Evidence(StrEnum):
    STRONG = "strong"
    GOOD = "good"
    AVAILABLE = "available"
    LIMITED = "limited"
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    factor: str
    evidence: Evidence
    evidence_label: str
    note: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        id="post_d2_gastrectomy",
        factor="Post-D2 gastrectomy (Stage II–III, curative intent)",
        evidence=Evidence.GOOD,
        evidence_label="Good evidence",
        note="Adjuvant CIK reduces recurrence; initiate 3–4 weeks post-surgery",
    ),
    Criterion(
        id="locally_advanced_first_line",
        factor="Locally advanced — first-line FOLFOX/XELOX/SOX",
        evidence=Evidence.STRONG,
        evidence_label="Strong evidence",
        note="Best-evidenced setting — combination improves OS and DCR",
    ),
    Criterion(
        id="metastatic_first_line",
        factor="Metastatic gastric cancer — first-line",
        evidence=Evidence.AVAILABLE,
        evidence_label="Evidence available",
        note="OS benefit demonstrated in combination RCTs",
    ),
    Criterion(
        id="her2_trastuzumab",
        factor="HER2-positive + trastuzumab-based therapy",
        evidence=Evidence.LIMITED,
        evidence_label="Limited data",
        note="Biologically plausible combination; specialist consultation required",
    ),
    Criterion(
        id="refractory_post_second_line",
        factor="Post-second-line treatment (refractory)",
        evidence=Evidence.LIMITED,
        evidence_label="Limited evidence",
        note="Some palliative evidence exists; clinical assessment required",
    ),
    Criterion(
        id="diffuse_signet_ring",
        factor="Signet ring cell / diffuse-type gastric cancer",
        evidence=Evidence.LIMITED,
        evidence_label="Limited data",
        note="Separate subgroup data is limited — discuss with treating oncologist",
    ),
    Criterion(
        id="poor_performance_or_malnutrition",
        factor="ECOG PS ≥3 or severe malnutrition",
        evidence=Evidence.EXCLUDED,
        evidence_label="Generally excluded",
        note="Insufficient immune reserve for effective CIK manufacturing and activity",
    ),
)

CRITERIA_BY_ID: dict[str, Criterion] = {criterion.id: criterion for criterion in CRITERIA}


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    STRONG = "strong"
    GOOD = "good"
    AVAILABLE = "available"
    LIMITED = "limited"
    EXCLUDED = "excluded"
    NOT_COVERED = "not_covered"
    INSUFFICIENT_INFORMATION = "insufficient_information"


# Each outcome in words, for staff screens and the summary (the public result page has its
# own, longer sentences in the public checker's view).
OUTCOME_LABELS: dict[str, str] = {
    Outcome.STRONG: "strong evidence",
    Outcome.GOOD: "good evidence",
    Outcome.AVAILABLE: "evidence available",
    Outcome.LIMITED: "limited evidence",
    Outcome.EXCLUDED: "excluded",
    Outcome.NOT_COVERED: "not covered by the table",
    Outcome.INSUFFICIENT_INFORMATION: "insufficient information",
}


def outcome_label(outcome: str) -> str:
    """An outcome code in words; "not screened yet" for none."""
    return (
        OUTCOME_LABELS.get(outcome, outcome.replace("_", " ")) if outcome else "not screened yet"
    )


# Plain labels for the codes of a result, for pages and documents written in English.
STATUS_LABELS: dict[str, str] = {
    "met": "Applies",
    "not_met": "Does not apply",
    "unknown": "Not known yet",
}
