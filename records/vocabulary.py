"""The clinical questions, defined once: label, help text and choices.

The pre-screen checker (/eligibility/, in `navigation`) and the records intake (/submit/)
ask the same clinical questions; both build their fields from the definitions here, so a
family reads the same words in both and gets the same answer. They live in `records`
because they describe the patient's clinical record (the model's choices are these), and
because `navigation` may import `records` but never the other way round.

Every question has one "I don't know" answer, `UNKNOWN` with the label `DONT_KNOW_LABEL`, in
both forms and in the checker's links (the stored profile keeps it as blank or null).
Choice values are the eligibility engine's (`navigation.eligibility`), which a test checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

UNKNOWN = "unknown"
DONT_KNOW_LABEL = _("I don't know")


class Stage(models.TextChoices):
    """AJCC 8th edition stage groups, clinical or pathological."""

    I = "I", "I"  # noqa: E741
    IA = "IA", "IA"
    IB = "IB", "IB"
    II = "II", "II"
    IIA = "IIA", "IIA"
    IIB = "IIB", "IIB"
    III = "III", "III"
    IIIA = "IIIA", "IIIA"
    IIIB = "IIIB", "IIIB"
    IIIC = "IIIC", "IIIC"
    IV = "IV", "IV"
    IVA = "IVA", "IVA"
    IVB = "IVB", "IVB"


class Gastrectomy(models.TextChoices):
    D2 = "d2", _("Yes: a gastrectomy with D2 lymph node removal")
    OTHER = "other", _("Yes: another kind of operation")
    NONE = "none", _("No operation")


class Regimen(models.TextChoices):
    FOLFOX = "FOLFOX", "FOLFOX"
    XELOX = "XELOX", "XELOX (CAPOX)"
    SOX = "SOX", "SOX"
    FLOT = "FLOT", "FLOT"
    OTHER = "other", _("Another combination")
    NONE = "none", _("None")


class Her2Reported(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    EQUIVOCAL = "equivocal", _("Borderline (equivocal)")


class Lauren(models.TextChoices):
    INTESTINAL = "intestinal", _("Intestinal")
    DIFFUSE = "diffuse", _("Diffuse")
    MIXED = "mixed", _("Mixed")
    INDETERMINATE = "indeterminate", _("Indeterminate")


YES, NO = "true", "false"
YES_NO = ((YES, _("Yes")), (NO, _("No")))
PRIOR_LINES = (("0", _("None yet")), ("1", _("One")), ("2", _("Two")), ("3", _("Three or more")))
ECOG = (
    ("0", _("0 — Fully active; can do everything they did before the illness")),
    ("1", _("1 — Can't do heavy physical work, but walks about and can do light work")),
    ("2", _("2 — Walks about and looks after themselves, but can't work; up most of the day")),
    ("3", _("3 — Only limited self-care; in bed or a chair more than half of the day")),
    ("4", _("4 — Completely dependent; in bed or a chair all day")),
)


@dataclass(frozen=True)
class Question:
    label: StrOrPromise
    help_text: StrOrPromise = ""
    choices: tuple[tuple[str, StrOrPromise], ...] = ()
    widget: Literal["radio", "select", "date"] = "radio"

    def answers(self) -> list[tuple[str, StrOrPromise]]:
        """The choices with "I don't know" (first in a drop-down list, last among radios)."""
        unknown = (UNKNOWN, DONT_KNOW_LABEL)
        if self.widget == "select":
            return [unknown, *self.choices]
        return [*self.choices, unknown]


STAGE = Question(
    _("What stage is the cancer?"),
    _("As written in the pathology or scan report (AJCC), for example IIIA."),
    tuple(Stage.choices),
    "select",
)
METASTATIC = Question(
    _("Has the cancer spread to distant parts of the body, such as the liver or lungs?"),
    _(
        'Doctors call this "metastatic" or "M1" disease. Spread to the lining of the abdomen '
        "(the peritoneum) is distant spread too: the next question asks about it."
    ),
    YES_NO,
)
PERITONEAL_METASTASIS = Question(
    _("Has it spread to the lining of the abdomen (the peritoneum)?"),
    _("Doctors count this as distant spread (M1), even when nothing else has spread."),
    YES_NO,
)
GASTRECTOMY = Question(
    _("Has there been an operation to remove the stomach cancer?"),
    "",
    tuple(Gastrectomy.choices),
)
CURATIVE_INTENT = Question(
    _("Was the operation meant to remove all of the cancer?"),
    _('The surgeon may have called it "curative" surgery.'),
    YES_NO,
)
SURGERY_DATE = Question(
    _("Date of the operation"),
    _("Leave it empty if you don't know or there was no operation."),
    widget="date",
)
PRIOR_LINES_QUESTION = Question(
    _("How many lines of drug treatment has the cancer had?"),
    _(
        "A new line starts when the drugs are changed because the cancer grew. Treatment "
        "given around an operation, and a change of drugs because of side effects, do not "
        "start a new line."
    ),
    PRIOR_LINES,
)
FIRST_LINE_REGIMEN = Question(
    _("Which chemotherapy was given first, or is planned first?"),
    "",
    tuple(Regimen.choices),
    "select",
)
HER2 = Question(
    _("What were you told about the HER2 test on the tumour?"),
    _("Positive usually means IHC 3+, or IHC 2+ with a positive ISH (FISH) test."),
    tuple(Her2Reported.choices),
)
TRASTUZUMAB = Question(
    _("Is trastuzumab (Herceptin) part of the treatment, now or planned?"), "", YES_NO
)
LAUREN_TYPE = Question(
    _("Which type does the pathology report give (Lauren classification)?"),
    "",
    tuple(Lauren.choices),
)
SIGNET_RING = Question(_("Does the pathology report mention signet ring cells?"), "", YES_NO)
ECOG_QUESTION = Question(
    _("Which best describes the patient's daily activity now?"),
    _("Doctors call this the ECOG performance status."),
    ECOG,
)
SEVERE_MALNUTRITION = Question(
    _("Has there been severe weight loss, or has a doctor said the patient is malnourished?"),
    "",
    YES_NO,
)

# The shared questions by the engine's field names (the intake stores HER2 as reported).
SHARED: dict[str, Question] = {
    "stage": STAGE,
    "metastatic": METASTATIC,
    "peritoneal_metastasis": PERITONEAL_METASTASIS,
    "gastrectomy": GASTRECTOMY,
    "curative_intent": CURATIVE_INTENT,
    "surgery_date": SURGERY_DATE,
    "prior_lines": PRIOR_LINES_QUESTION,
    "first_line_regimen": FIRST_LINE_REGIMEN,
    "her2_status": HER2,
    "trastuzumab": TRASTUZUMAB,
    "lauren_type": LAUREN_TYPE,
    "signet_ring": SIGNET_RING,
    "ecog": ECOG_QUESTION,
    "severe_malnutrition": SEVERE_MALNUTRITION,
}
