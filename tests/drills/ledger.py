"""What a drill counts after recovery: submissions acknowledged, cases stored, reviews done,
coordinator emails, duplicates and losses. Every reliability drill ends with 0 lost and 0
duplicated, and leaves one line of figures for the run's closing summary."""

import re
from collections import Counter
from dataclasses import dataclass

EMAIL_SUBJECT = re.compile(r"Subject: New case to review: (CF-[A-Z0-9]+)")
REFERENCE = re.compile(rb'data-testid="case-reference">([^<]+)<')

# Drill name -> its figures, for pytest_terminal_summary.
DRILL_FIGURES: dict[str, str] = {}


@dataclass
class Tally:
    acknowledged: int
    stored: int
    reviewed: int
    emails: int
    duplicates: int
    lost: int

    def assert_nothing_lost_or_duplicated(self) -> None:
        assert (self.lost, self.duplicates) == (0, 0), self
        assert self.stored == self.reviewed == self.emails >= self.acknowledged, self


def emails_in(*texts: str) -> Counter:
    return Counter(ref for text in texts for ref in EMAIL_SUBJECT.findall(text))


def tally(
    *,
    acknowledged: list[str],
    cases: dict[str, str],
    reviews: Counter,
    notified: set[str],
    created_events: Counter,
    emails: Counter,
) -> Tally:
    """`cases`: reference -> patient email; `reviews`, `created_events`: per reference;
    `notified`: references whose review task has told the coordinators."""
    per_patient = Counter(cases.values())
    duplicates = (
        sum(n - 1 for n in per_patient.values() if n > 1)
        + sum(n - 1 for n in reviews.values() if n > 1)
        + sum(n - 1 for n in created_events.values() if n > 1)
        + sum(n - 1 for n in emails.values() if n > 1)
        + (len(acknowledged) - len(set(acknowledged)))
    )
    lost = (
        len(set(acknowledged) - set(cases))
        + len(set(cases) - set(reviews))
        + len(set(cases) - notified)
        + len(set(cases) - set(emails))
    )
    return Tally(
        acknowledged=len(set(acknowledged)),
        stored=len(cases),
        reviewed=len(set(reviews) & notified),
        emails=len(emails),
        duplicates=duplicates,
        lost=lost,
    )


def tally_orm(*, acknowledged: list[str], emails: Counter) -> Tally:
    """The counts from this test's database (drills whose processes share it)."""
    from navigation.models import Case, CaseEvent, ReviewTask

    cases = dict(Case.objects.values_list("reference", "patient__email"))
    reviews = Counter(ReviewTask.objects.values_list("case__reference", flat=True))
    notified = set(
        ReviewTask.objects.filter(notified_at__isnull=False).values_list(
            "case__reference", flat=True
        )
    )
    created = Counter(
        CaseEvent.objects.filter(note__contains="Review task created").values_list(
            "case__reference", flat=True
        )
    )
    return tally(
        acknowledged=acknowledged,
        cases=cases,
        reviews=reviews,
        notified=notified,
        created_events=created,
        emails=emails,
    )


def record(name: str, result: Tally, recovery_seconds: float | None) -> None:
    recovery = f", recovered in {recovery_seconds:.1f} s" if recovery_seconds is not None else ""
    DRILL_FIGURES[name] = (
        f"{result.acknowledged} acknowledged, {result.stored} stored, {result.reviewed} "
        f"reviewed, {result.emails} coordinator emails, {result.duplicates} duplicated, "
        f"{result.lost} lost{recovery}"
    )
