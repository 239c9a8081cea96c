"""The one mapping between a patient's stored clinical profile and the eligibility engine.

`records.ClinicalProfile` stores an unknown answer as blank ("") or null; the engine reads
None; the forms and the checker's links carry `records.vocabulary.UNKNOWN` or leave the
answer out. Every translation between them is here, in both directions:

- `engine_profile`: a stored profile as the engine's input (for the case's pre-screen);
- `intake_initial`: the checker's answers (its query string) as the intake form's
  initial values, so a family does not answer twice.
"""

from collections.abc import Mapping
from datetime import date

from navigation import eligibility
from records import vocabulary
from records.models import ClinicalProfile

# The engine's field -> the stored field read for it, and the one an answer is written to.
# HER2 is read as derived (test scores, else as reported) and written as reported: the
# checker asks what the patient was told, never the scores.
READ_FIELDS: dict[str, str] = {name: name for name in eligibility.FIELD_NAMES}
WRITE_FIELDS: dict[str, str] = READ_FIELDS | {"her2_status": "her2_reported_status"}
# Prior lines beyond this are one answer in the intake ("three or more").
MOST_PRIOR_LINES = max(int(value) for value, _ in vocabulary.PRIOR_LINES)


def engine_answers(profile: ClinicalProfile | None) -> dict[str, object]:
    """The stored answers in the engine's JSON-like input shape; unknowns are None."""
    answers: dict[str, object] = {}
    for name, stored in READ_FIELDS.items():
        value = getattr(profile, stored) if profile is not None else None
        if isinstance(value, date):
            value = value.isoformat()
        answers[name] = None if value == "" else value
    return answers


def engine_profile(profile: ClinicalProfile | None, *, today: date) -> eligibility.Profile:
    """The stored profile as the engine's input. An answer the engine refuses (say, a
    surgery date typed in the future) is read as unknown rather than blocking the rest."""
    answers = engine_answers(profile)
    parsed, errors = eligibility.parse_profile(answers, today=today)
    if errors:
        known = {name: value for name, value in answers.items() if name not in errors}
        parsed, errors = eligibility.parse_profile(known, today=today)
    return parsed or eligibility.Profile()


def _as_answer(name: str, value: object) -> str:
    """An engine value as the intake form's answer (the vocabulary's choice value)."""
    if isinstance(value, bool):
        return vocabulary.YES if value else vocabulary.NO
    if isinstance(value, date):
        return value.isoformat()
    if name == "prior_lines":
        return str(min(int(value), MOST_PRIOR_LINES))  # type: ignore[call-overload]
    return str(value)


def intake_initial(params: Mapping[str, str], *, today: date) -> dict[str, str]:
    """The checker's answers as initial values of the intake's clinical form.

    The engine validates each answer on its own: a malformed one is dropped (its question
    then starts at "I don't know") and the others are kept. Choices match whatever their
    case, as a hand-typed link may write them.
    """
    initial: dict[str, str] = {}
    for name in eligibility.FIELD_NAMES:
        raw = (params.get(name) or "").strip()
        if raw.lower() == vocabulary.UNKNOWN:
            initial[WRITE_FIELDS[name]] = vocabulary.UNKNOWN
            continue
        choices = [str(value) for value, _ in vocabulary.SHARED[name].choices]
        raw = next((choice for choice in choices if choice.lower() == raw.lower()), raw)
        parsed, errors = eligibility.profile_from_query({name: raw}, today=today)
        value = getattr(parsed, name) if parsed is not None else None
        if value is not None:
            initial[WRITE_FIELDS[name]] = _as_answer(name, value)
    return initial
