"""Measure 6: the coordinators' queue (case changelist) and the portal as cases grow.

Growth: the queue's first page, a filtered page, search by reference and by surname, and the
patient portal's case list, each timed at 1k, 10k and 100k cases (BENCH_QUEUE_SIZES) in
GROWTH_ROUNDS rounds that take turns over the paths; each path's median at 100k must be at
most 1.5× its median at 1k, and under 150 ms. The growth is also given per round (round i at
100k over round i at 1k), as median and range; a target within that range is reported as
inside the noise.

Then, at 100k cases, the first page compared with a raw SQL query with the same joins
(patient, clinical profile, assignee, the open review task's due time) and `LIMIT 100`, in
the same process, on the same database. Also checks that the changelist's query count does
not depend on the page size.

Under `make bench` it runs inside bench/run.py (`measure(stack)`). Alone, against any
PostgreSQL database you can fill (it adds cases until there are 100,000):

    DATABASE_URL=postgres://.../db .venv/bin/python bench/queue_changelist.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = int(os.environ.get("BENCH_QUEUE_CASES", "100000"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_QUEUE_SIZES", "1000,10000,100000").split(","))
ROUNDS = 15
GROWTH_ROUNDS = 5
BATCH = 5000
QUEUE = "/admin/navigation/case/"
# Names with varied surnames, so a surname search has to find one patient among many; the
# case the searches look for is the first one seeded, at every size.
GIVEN = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jun"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "to", "vi", "do", "fu", "go", "ju", "po", "zu", "wy"]
SOUGHT_NAME = "Wilhelmina Searchable"
SOUGHT_SURNAME = "Searchable"

RAW_SQL = """
SELECT c.*, p.*, pr.*, u.*,
       (SELECT MIN(t.due_at) FROM navigation_reviewtask t
         WHERE t.case_id = c.id AND t.done_at IS NULL) AS review_due_at
  FROM navigation_case c
  JOIN records_patient p ON p.id = c.patient_id
  LEFT JOIN records_clinicalprofile pr ON pr.patient_id = p.id
  LEFT JOIN auth_user u ON u.id = c.assignee_id
 ORDER BY c.created_at DESC, c.id DESC
 LIMIT 100
"""


def seed(total: int = CASES) -> int:
    """Add cases (patient, profile, case, open review task) until the seed has made `total`."""
    from django.db import connection, transaction
    from django.utils import timezone

    from navigation.models import Case, ReviewTask
    from records.models import ClinicalProfile, Patient

    # Count only the cases this seed made: other measures (5) submit cases of their own,
    # and the sought patient is the seed's case number 0. A submitted case's reference
    # never holds a 0 (new_reference leaves it out), so "CF-Q0" is ours up to a million.
    have = Case.objects.filter(reference__startswith="CF-Q0").count()
    now = timezone.now()
    stages, ihc, lauren = (
        ["IB", "II", "IIIA", "IV", ""],
        ["0", "1+", "2+", "3+", ""],
        [
            "intestinal",
            "diffuse",
            "mixed",
            "",
        ],
    )
    statuses = ["submitted", "under_review", "records_requested", "summary_prepared"]
    for start in range(have, total, BATCH):
        size = min(BATCH, total - start)
        with transaction.atomic():
            patients = Patient.objects.bulk_create(
                Patient(
                    full_name=_name(start + i),
                    date_of_birth=date(1950 + (start + i) % 40, 1, 1),
                    relationship="self",
                    email=f"bench{start + i}@example.net",
                    phone="+442071234567",
                    country="United Kingdom",
                )
                for i in range(size)
            )
            ClinicalProfile.objects.bulk_create(
                ClinicalProfile(
                    patient=p,
                    stage=stages[i % 5],
                    her2_ihc=ihc[i % 5],
                    lauren_type=lauren[i % 4],
                )
                for i, p in enumerate(patients)
            )
            cases = Case.objects.bulk_create(
                Case(
                    patient=p,
                    reference=f"CF-Q{start + i:07d}",
                    status=statuses[i % 4],
                    prescreen_outcome=["good", "strong", "insufficient_information"][i % 3],
                    missing_records_count=i % 3,
                )
                for i, p in enumerate(patients)
            )
            ReviewTask.objects.bulk_create(
                ReviewTask(case=c, due_at=now + timedelta(hours=i % 96 - 48))
                for i, c in enumerate(cases)
            )
    with connection.cursor() as cursor:
        for table in ("navigation_case", "records_patient", "records_clinicalprofile"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed table names
        cursor.execute("ANALYZE navigation_reviewtask")
    return Case.objects.count()


def _name(n: int) -> str:
    if n == 0:
        return SOUGHT_NAME
    s = SYLLABLES
    surname = s[n % 14] + s[(n // 14) % 14] + s[(n // 196) % 14] + s[(n // 2744) % 14]
    return f"{GIVEN[n % len(GIVEN)]} {surname.capitalize()}"


def _portal_client():
    """A patient signed in to the portal, as its sign-in link leaves the session."""
    from django.conf import settings
    from django.test import Client

    from navigation.models import Case
    from navigation.sessions import SESSION_EMAIL, SESSION_PATIENTS

    case = Case.objects.select_related("patient").get(reference=f"CF-Q{0:07d}")
    host = "127.0.0.1" if "127.0.0.1" in settings.ALLOWED_HOSTS else "testserver"
    client = Client(HTTP_HOST=host)
    session = client.session
    session[SESSION_EMAIL] = case.patient.email
    session[SESSION_PATIENTS] = [case.patient_id]
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


GROWTH_PATHS = {
    "first page": ("queue", QUEUE),
    "filtered page": ("queue", QUEUE + "?status__exact=submitted&her2=positive"),
    "search by reference": ("queue", QUEUE + f"?q=CF-Q{0:07d}"),
    "search by surname": ("queue", QUEUE + f"?q={SOUGHT_SURNAME}"),
    "search by email": ("queue", QUEUE + "?q=bench0@example.net"),
    "page 50": ("queue", QUEUE + "?p=50"),
    "portal case list": ("portal", "/portal/"),
}
# Page 50 of 100 rows exists from 5,000 cases: its growth is from the first size that has it.
MIN_SIZE = {"page 50": 5000}
# Each of the queue's filters on its own; one row in the table gives the worst growth.
FILTERS = [
    "mine=yes",
    "mine=unassigned",
    "status__exact=submitted",
    "outcome=good",
    "outcome=none",
    "rescreen=changed",
    "her2=positive",
    "her2=unknown",
    "her2_check=disagree",
    "lauren=diffuse",
    "lauren=unknown",
    "stage=III",
    "stage=unknown",
    "missing=yes",
    "missing=no",
    "due=overdue",
    "due=24h",
    "due=none",
    "age=1",
    "age=old",
]
FILTER_PATHS = {f"filter {f}": ("queue", f"{QUEUE}?{f}") for f in FILTERS}
FILTER_ROUNDS = 3


def run_growth(sizes=SIZES, rounds: int = GROWTH_ROUNDS) -> dict:
    """{path: {size: [ms per round]}}, and the query count of each path at each size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        raise RuntimeError("the queue benchmark needs PostgreSQL (set DATABASE_URL)")
    paths = {**GROWTH_PATHS, **FILTER_PATHS}
    times: dict[str, dict[int, list[float]]] = {path: {} for path in paths}
    queries: dict[str, dict[int, int]] = {path: {} for path in paths}
    for size in sizes:
        seed(size)
        clients = {"queue": _coordinator_client(), "portal": _portal_client()}
        here = [path for path in paths if size >= MIN_SIZE.get(path, 0)]

        def get(path: str, clients: dict = clients) -> None:
            kind, url = paths[path]
            response = clients[kind].get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            # One row, one row checkbox (response.context is only kept under the test runner).
            if path.startswith("search") and response.content.count(b'class="action-select"') != 1:
                raise RuntimeError(f"{path} did not find exactly the sought case")

        for path in here:
            with CaptureQueriesContext(connection) as ctx:
                get(path)  # also warms the caches
            queries[path][size] = len(ctx.captured_queries)
            times[path][size] = []
        # Paths take turns within each round, so a burst of load hits all of them alike.
        for round_ in range(rounds):
            for path in here:
                if path in FILTER_PATHS and round_ >= FILTER_ROUNDS:
                    continue
                began = time.perf_counter()
                get(path)
                times[path][size].append((time.perf_counter() - began) * 1000)
    return {"sizes": list(sizes), "times": times, "queries": queries}


def _growth(by_size: dict[int, list[float]]) -> tuple[int, int, float, list[float]]:
    """The first and last sizes measured, the growth of the medians, and per round."""
    sizes = sorted(by_size)
    small, large = sizes[0], sizes[-1]
    per_round = [b / a for a, b in zip(by_size[small], by_size[large], strict=True)]
    growth = statistics.median(by_size[large]) / statistics.median(by_size[small])
    return small, large, growth, per_round


def growth_checks(result: dict) -> list:
    from bench.harness import Check, median_range, noise_note, spread

    name = "6 coordinator queue"
    checks = []
    for path, by_size in result["times"].items():
        if path in FILTER_PATHS or len(by_size) < 2:
            continue  # filters: one row below; page 50 only from 5,000 cases
        sizes = sorted(by_size)
        small, large, growth, per_round = _growth(by_size)
        counts = result["queries"][path]
        figures = "; ".join(
            f"{size:,}: {spread(by_size[size], '{:.1f}', ' ms')}" for size in sizes
        ) + (
            f"; growth per round {spread(per_round, unit='×')}; queries "
            + "/".join(str(counts[size]) for size in sizes)
        )
        checks.append(
            Check(
                name,
                f"{path}: growth {small:,}→{large:,}",
                growth,
                "<=",
                1.5,
                figures=figures,
                note=noise_note(per_round, 1.5),
            )
        )
        checks.append(
            Check(
                name,
                f"{path} at {large:,}",
                median_range(by_size[large])[0],
                "<",
                150,
                "ms",
                note=noise_note(by_size[large], 150),
            )
        )
        if len(set(counts.values())) != 1:
            checks[-2].note = "; ".join(
                n for n in (checks[-2].note, "query count changes with the size") if n
            )
    filters = {
        path: _growth(by_size)
        for path, by_size in result["times"].items()
        if path in FILTER_PATHS and len(by_size) > 1
    }
    if filters:
        ranked = sorted(filters.items(), key=lambda item: -item[1][2])
        small, large = ranked[0][1][0], ranked[0][1][1]
        worst_ms = max(median_range(result["times"][path][large])[0] for path in FILTER_PATHS)
        changing = [path for path in filters if len(set(result["queries"][path].values())) != 1]
        figures = (
            "by growth of the medians: "
            + ", ".join(
                f"{path.removeprefix('filter ')} {growth:.2f}× "
                f"({min(per_round):.2f}–{max(per_round):.2f})"
                for path, (_s, _l, growth, per_round) in ranked
            )
            + f"; slowest at {large:,}: {worst_ms:.1f} ms; {FILTER_ROUNDS} rounds each"
        )
        checks.append(
            Check(
                name,
                f"each of {len(filters)} filters: worst growth {small:,}→{large:,}",
                ranked[0][1][2],
                "<=",
                1.5,
                figures=figures,
                note="query count changes with the size: " + ", ".join(changing)
                if changing
                else noise_note(ranked[0][1][3], 1.5),
            )
        )
        checks.append(Check(name, f"each filter at {large:,}: slowest", worst_ms, "<", 150, "ms"))
    return checks


def _coordinator_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cancerfax.roles import COORDINATORS

    user, _ = User.objects.get_or_create(
        username="bench-coordinator", defaults={"is_staff": True, "email": "bench@example.org"}
    )
    user.groups.add(Group.objects.get(name=COORDINATORS))
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    from django.conf import settings

    # Under `make bench` the settings are production's: only the bench's host is allowed.
    host = "127.0.0.1" if "127.0.0.1" in settings.ALLOWED_HOSTS else "testserver"
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _median_ms(run, rounds: int = ROUNDS) -> tuple[float, list[float]]:
    run()  # warm the caches and connection first
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), samples


def run_measure(total_cases: int = CASES, rounds: int = ROUNDS) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from navigation.admin.cases import CaseAdmin

    if connection.vendor != "postgresql":
        raise RuntimeError("the queue benchmark needs PostgreSQL (set DATABASE_URL)")
    total = seed(total_cases)
    client = _coordinator_client()
    url = "/admin/navigation/case/"

    def changelist() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"the changelist answered {response.status_code}")

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL)
            cursor.fetchall()

    page_ms, page_samples = _median_ms(changelist, rounds)
    raw_ms, _ = _median_ms(raw, rounds)
    counts = {}
    default = CaseAdmin.list_per_page
    try:
        for per_page in (10, 100):
            CaseAdmin.list_per_page = per_page
            with CaptureQueriesContext(connection) as ctx:
                changelist()
            counts[per_page] = len(ctx.captured_queries)
    finally:
        CaseAdmin.list_per_page = default
    return {
        "cases": total,
        "changelist_ms": page_ms,
        "changelist_p_max_ms": max(page_samples),
        "raw_ms": raw_ms,
        "ratio": page_ms / raw_ms if raw_ms else float("nan"),
        "queries": counts,
    }


def measure(stack) -> list:
    """For bench/run.py: Django is already set up against the bench's PostgreSQL."""
    from bench.harness import Check

    checks = growth_checks(run_growth())
    result = run_measure()
    figures = (
        f"{result['cases']:,} cases: changelist {result['changelist_ms']:.1f} ms median "
        f"(max {result['changelist_p_max_ms']:.1f} ms) vs raw SQL {result['raw_ms']:.2f} ms; "
        f"queries {result['queries'][10]} at 10 per page, {result['queries'][100]} at 100"
    )
    name = "6 coordinator queue"
    return checks + [
        Check(name, "changelist vs raw SQL", result["ratio"], "<=", 3, figures=figures),
        Check(name, "changelist latency", result["changelist_ms"], "<", 1000, unit="ms"),
        Check(
            name,
            "queries 100/page minus 10/page",
            result["queries"][100] - result["queries"][10],
            "==",
            0,
            unit="",
        ),
    ]


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cancerfax.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client and query capture work here
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    result = run_measure()
    print(f"cases:                  {result['cases']:,}")
    print(f"changelist (median):    {result['changelist_ms']:.1f} ms")
    print(f"changelist (slowest):   {result['changelist_p_max_ms']:.1f} ms")
    print(f"raw SQL LIMIT 100:      {result['raw_ms']:.2f} ms")
    print(f"ratio:                  {result['ratio']:.2f}x (target <= 3x)")
    print(f"queries 10 vs 100/page: {result['queries'][10]} vs {result['queries'][100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
