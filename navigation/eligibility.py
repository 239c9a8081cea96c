"""The documented CIK gastric cancer eligibility table, as data.

Pure Python: no Django import. The public page renders its eligibility table from
`CRITERIA`, and the pre-screen engine decides each row, so the two cannot drift apart.
Wording of `factor`, `evidence_label` and `note` is the source document's, exactly.
"""

from dataclasses import dataclass
from enum import StrEnum

# Bump whenever a rule or its wording changes (a test pins a checksum of the table).
RULE_SET_VERSION = "2026.11-1"


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
