"""The engine's input: what is known about a patient, and how raw answers become one.

`parse_profile` checks raw JSON-like answers against the contract's lists;
`profile_as_query` and `profile_from_query` are the query-string contract between the
checker and `/submit/`.
"""

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

# AJCC 8th edition stages, clinical or pathological. The rules read a stage's group: IVA
# (T4b, any N, M0) is locally advanced and its own group; IV and IVB are metastatic (M1);
# the others reduce to I, II or III.
STAGE_VALUES = (
    "I",
    "IA",
    "IB",
    "II",
    "IIA",
    "IIB",
    "III",
    "IIIA",
    "IIIB",
    "IIIC",
    "IV",
    "IVA",
    "IVB",
)
STAGE_GROUP_OF: dict[str, str] = {
    stage: "IVA" if stage == "IVA" else "IV" if stage.startswith("IV") else stage.rstrip("ABC")
    for stage in STAGE_VALUES
}
STAGE_GROUPS = ("I", "II", "III", "IVA", "IV")
GASTRECTOMY_VALUES = ("d2", "other", "none")
REGIMEN_VALUES = ("FOLFOX", "XELOX", "SOX", "FLOT", "other", "none")
HER2_VALUES = ("positive", "negative", "equivocal")
LAUREN_VALUES = ("intestinal", "diffuse", "mixed", "indeterminate")
ECOG_VALUES = (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class Profile:
    """What is known about a patient. Every field is optional: None means "unknown".

    Build one from raw input with `parse_profile`, which checks every value against the
    contract's lists; the rules read a stage they cannot recognise as unknown.
    """

    stage: str | None = None
    gastrectomy: str | None = None
    curative_intent: bool | None = None
    surgery_date: date | None = None
    metastatic: bool | None = None
    peritoneal_metastasis: bool | None = None
    prior_lines: int | None = None
    first_line_regimen: str | None = None
    her2_status: str | None = None
    trastuzumab: bool | None = None
    lauren_type: str | None = None
    signet_ring: bool | None = None
    ecog: int | None = None
    severe_malnutrition: bool | None = None

    @property
    def stage_group(self) -> str | None:
        return STAGE_GROUP_OF.get(self.stage or "")

    @property
    def spread(self) -> bool | None:
        """Distant spread (M1): the peritoneum counts. An unanswered peritoneum question
        reads as no once distant spread has been answered no."""
        if self.metastatic is True or self.peritoneal_metastasis is True:
            return True
        if self.metastatic is False:
            return False
        return None

    def known(self) -> dict[str, object]:
        """The known answers, JSON-ready (dates as YYYY-MM-DD), in field order."""
        answers: dict[str, object] = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if value is not None:
                answers[name] = value.isoformat() if isinstance(value, date) else value
        return answers


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Profile))


@dataclass(frozen=True, slots=True)
class DocumentHint:
    """The record that would settle an unknown answer: a `records` document category
    (by value, so this module needs no import) and the plain words a patient understands."""

    category: str
    words: str


FIELD_DOCUMENTS: dict[str, DocumentHint] = {
    "stage": DocumentHint("imaging", "your staging scan (CT or PET) report or pathology report"),
    "gastrectomy": DocumentHint("surgery", "your surgical (operation) report"),
    "curative_intent": DocumentHint(
        "surgery", "your surgical report or hospital discharge letter"
    ),
    "surgery_date": DocumentHint("surgery", "your surgical report"),
    "metastatic": DocumentHint("imaging", "your staging scan (CT or PET) report"),
    "peritoneal_metastasis": DocumentHint(
        "imaging", "your staging scan (CT or PET) or laparoscopy report"
    ),
    "prior_lines": DocumentHint(
        "chemotherapy", "your chemotherapy history (a summary or letter from your oncologist)"
    ),
    "first_line_regimen": DocumentHint("chemotherapy", "your oncologist's chemotherapy plan"),
    "her2_status": DocumentHint("her2", "your HER2 test report"),
    "trastuzumab": DocumentHint("chemotherapy", "your oncologist's treatment plan"),
    "lauren_type": DocumentHint(
        "pathology", "your pathology report (from the biopsy or the operation)"
    ),
    "signet_ring": DocumentHint("pathology", "your pathology report"),
    "ecog": DocumentHint(
        "other", "a recent letter from your oncologist describing your day-to-day activity"
    ),
    "severe_malnutrition": DocumentHint(
        "other", "a recent clinic letter noting your weight and nutrition"
    ),
}


# --- parsing raw input -------------------------------------------------------------------

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLEAN_FIELDS = (
    "curative_intent",
    "metastatic",
    "peritoneal_metastasis",
    "trastuzumab",
    "signet_ring",
    "severe_malnutrition",
)
_CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "gastrectomy": GASTRECTOMY_VALUES,
    "first_line_regimen": REGIMEN_VALUES,
    "her2_status": HER2_VALUES,
    "lauren_type": LAUREN_VALUES,
}


def _choices(values: tuple[object, ...]) -> str:
    return ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


def _check_value(name: str, value: object, today: date) -> tuple[object, str | None]:
    """Validate one known value: (value to store, None) or (None, error message)."""
    if name == "stage":
        if isinstance(value, str) and value in STAGE_VALUES:
            return value, None
        return None, f"Must be an AJCC stage: one of {_choices(STAGE_VALUES)}."
    if name in _CHOICE_FIELDS:
        allowed = _CHOICE_FIELDS[name]
        if isinstance(value, str) and value in allowed:
            return value, None
        return None, f"Must be one of {_choices(allowed)}."
    if name in _BOOLEAN_FIELDS:
        # JSON true/false only: 1, "yes" and "true" are not booleans.
        if isinstance(value, bool):
            return value, None
        return None, "Must be true or false."
    if name in ("ecog", "prior_lines"):
        # bool is a subclass of int, and 2.0 is not an integer: check the exact type.
        if type(value) is not int:
            return None, "Must be a whole number."
        if name == "ecog" and value not in ECOG_VALUES:
            return None, "Must be between 0 and 4."
        if name == "prior_lines" and value < 0:
            return None, "Must be 0 or more."
        return value, None
    if name == "surgery_date":
        if not isinstance(value, str) or not _DATE_PATTERN.match(value):
            return None, "Must be a date written YYYY-MM-DD."
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return None, "Must be a real calendar date written YYYY-MM-DD."
        if parsed > today:
            return None, "Must not be in the future."
        return parsed, None
    raise AssertionError(f"no check for {name}")  # pragma: no cover - FIELD_NAMES is closed


def parse_profile(
    data: object, *, today: date | None = None
) -> tuple[Profile | None, dict[str, list[str]]]:
    """Validate raw JSON-like input into a Profile.

    Missing fields and nulls are unknown. Returns (profile, {}) or (None, errors), where
    errors names every bad field (`__all__` when the input is not an object at all).
    """
    if not isinstance(data, Mapping):
        return None, {"__all__": ["Expected a JSON object of answers."]}
    today = today or date.today()
    values: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if not isinstance(name, str):
            errors.setdefault("__all__", []).append("Field names must be strings.")
            continue
        if name not in FIELD_NAMES:
            close = difflib.get_close_matches(name, FIELD_NAMES, n=1, cutoff=0.5)
            hint = f' Did you mean "{close[0]}"?' if close else ""
            errors[name] = [f"Unknown field.{hint}"]
            continue
        if value is None:
            continue
        checked, error = _check_value(name, value, today)
        if error:
            errors[name] = [error]
        else:
            values[name] = checked
    if errors:
        return None, errors
    return Profile(**values), {}  # type: ignore[arg-type]  # each value checked above


def profile_as_query(profile: Profile) -> dict[str, str]:
    """The known answers as query parameters, with the engine's names and values:
    booleans "true"/"false", integers in digits, dates YYYY-MM-DD; unknowns left out."""
    query: dict[str, str] = {}
    for name, value in profile.known().items():
        if isinstance(value, bool):
            query[name] = "true" if value else "false"
        else:
            query[name] = str(value)
    return query


def profile_from_query(
    params: Mapping[str, str], *, today: date | None = None
) -> tuple[Profile | None, dict[str, list[str]]]:
    """Read answers written by `profile_as_query` (or typed into a form): strings only.

    Empty strings are unknown; other parameters than the profile's fields are ignored,
    since a page's query string may carry more than the answers.
    """
    data: dict[str, object] = {}
    for name in FIELD_NAMES:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        if name in _BOOLEAN_FIELDS:
            data[name] = {"true": True, "false": False}.get(raw, raw)
        elif name in ("ecog", "prior_lines"):
            data[name] = int(raw) if re.fullmatch(r"-?\d{1,6}", raw) else raw
        else:
            data[name] = raw
    return parse_profile(data, today=today)


# The unknown answers, in the words an unknown criterion's reason uses.
FIELD_WORDS: dict[str, str] = {
    "stage": "the stage",
    "gastrectomy": "whether there was an operation, and which kind",
    "curative_intent": "whether the operation was meant to remove all of the cancer",
    "surgery_date": "the date of the operation",
    "metastatic": "whether the cancer has spread to distant organs",
    "peritoneal_metastasis": "whether it has spread to the lining of the abdomen",
    "prior_lines": "how many lines of treatment there have been",
    "first_line_regimen": "which chemotherapy is planned first",
    "her2_status": "the HER2 test result",
    "trastuzumab": "whether trastuzumab is part of the treatment",
    "lauren_type": "the Lauren type from the pathology report",
    "signet_ring": "whether signet ring cells were found",
    "ecog": "how active the patient is day to day",
    "severe_malnutrition": "whether there has been severe weight loss or malnutrition",
}
