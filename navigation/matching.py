"""Which specialist centres suit a case, and why.

Every active centre is ranked; each match says in plain words what speaks for the centre and
what it lacks, so a coordinator can judge rather than trust a number.
"""

from dataclasses import dataclass, field

from navigation.models import Case, Centre
from records.models import ClinicalProfile


@dataclass(frozen=True, slots=True)
class Need:
    """Something this case needs from a centre, and how much it weighs."""

    attribute: str
    weight: int
    has: str
    lacks: str


@dataclass(slots=True)
class CentreMatch:
    centre: Centre
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def _criterion_met(case: Case, criterion_id: str) -> bool:
    for criterion in case.prescreen_result.get("criteria", []):
        if criterion.get("id") == criterion_id:
            return criterion.get("status") == "met"
    return False


def case_needs(case: Case) -> list[Need]:
    """What the case's clinical setting asks of a centre, from the pre-screen and profile."""
    profile = case.patient.clinical_profile
    needs: list[Need] = []
    post_d2 = _criterion_met(case, "post_d2_gastrectomy") or (
        profile is not None
        and profile.gastrectomy == ClinicalProfile.Gastrectomy.D2
        and profile.curative_intent is True
    )
    if post_d2:
        needs.append(
            Need(
                "offers_adjuvant_cik",
                3,
                "Offers adjuvant CIK after D2 gastrectomy",
                "No adjuvant CIK programme (the case is post-D2 gastrectomy)",
            )
        )
    advanced = (
        _criterion_met(case, "locally_advanced_first_line")
        or _criterion_met(case, "metastatic_first_line")
        or (profile is not None and (profile.metastatic is True or profile.stage.startswith("IV")))
    )
    if advanced:
        needs.append(
            Need(
                "offers_cik_first_line",
                3,
                "Offers CIK with first-line chemotherapy for locally advanced or metastatic "
                "disease",
                "No CIK with first-line chemotherapy (the case is locally advanced or metastatic)",
            )
        )
    if profile is not None and profile.her2_status == "positive":
        needs.append(
            Need(
                "her2_experience",
                2,
                "Experienced with HER2-positive gastric cancer",
                "No stated HER2-positive experience (the case is HER2-positive)",
            )
        )
    if profile is not None and profile.peritoneal_metastasis is True:
        needs.append(
            Need(
                "intraperitoneal_cik_trials",
                2,
                "Runs intraperitoneal CIK trials (peritoneal involvement)",
                "No intraperitoneal CIK trials (the case has peritoneal involvement)",
            )
        )
    return needs


def _languages(centre: Centre) -> set[str]:
    return {language.strip().casefold() for language in centre.languages.split(",") if language}


def centres_rank(*, case: Case) -> list[CentreMatch]:
    """Active centres, best first, each with its reasons and gaps."""
    needs = case_needs(case)
    language = (case.patient.preferred_language or "").strip()
    matches = []
    for centre in Centre.objects.filter(active=True).order_by("name"):
        match = CentreMatch(centre=centre)
        for need in needs:
            if getattr(centre, need.attribute):
                match.score += need.weight
                match.reasons.append(need.has)
            else:
                match.gaps.append(need.lacks)
        if language:
            if language.casefold() in _languages(centre):
                match.score += 1
                match.reasons.append(f"Staff speak {language}")
            else:
                match.gaps.append(f"No staff listed who speak {language}")
        matches.append(match)
    matches.sort(key=lambda m: (-m.score, len(m.gaps), m.centre.name))
    return matches


EXAMPLE_CENTRES = [
    {
        "name": "Example Gastric Immunotherapy Centre",
        "city": "Beijing",
        "offers_adjuvant_cik": True,
        "offers_cik_first_line": True,
        "her2_experience": True,
        "intraperitoneal_cik_trials": False,
        "languages": "English, Mandarin",
        "contact": "Example only: not a real centre. international@example.org",
    },
    {
        "name": "Example Coastal Cancer Hospital",
        "city": "Shanghai",
        "offers_adjuvant_cik": True,
        "offers_cik_first_line": False,
        "her2_experience": False,
        "intraperitoneal_cik_trials": True,
        "languages": "English, Mandarin, Russian",
        "contact": "Example only: not a real centre. referrals@example.org",
    },
    {
        "name": "Example Southern Oncology Institute",
        "city": "Guangzhou",
        "offers_adjuvant_cik": False,
        "offers_cik_first_line": True,
        "her2_experience": True,
        "intraperitoneal_cik_trials": True,
        "languages": "English, Cantonese, Mandarin, Arabic",
        "contact": "Example only: not a real centre. care@example.org",
    },
]


def load_example_centres() -> int:
    """Put the example centres in place (demo data). Idempotent: matched by name."""
    created = 0
    for data in EXAMPLE_CENTRES:
        _, was_created = Centre.objects.update_or_create(
            name=data["name"], is_example=True, defaults=data
        )
        created += was_created
    return created
