"""Measure 6: the coordinators' queue (case changelist) with 100,000 cases on PostgreSQL.

Compared with a raw SQL query with the same joins (patient, clinical profile, assignee, the
open review task's due time) and `LIMIT 100`, in the same process, on the same database.
Also checks that the changelist's query count does not depend on the page size.

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
ROUNDS = 15
BATCH = 5000

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
    """Add cases (patient, profile, case, open review task) until there are `total`."""
    from django.db import connection, transaction
    from django.utils import timezone

    from navigation.models import Case, ReviewTask
    from records.models import ClinicalProfile, Patient

    have = Case.objects.count()
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
                    full_name=f"Bench Patient {start + i}",
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


def _coordinator_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from navigation.roles import COORDINATORS

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

    from navigation.admin import CaseAdmin

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

    result = run_measure()
    figures = (
        f"{result['cases']:,} cases: changelist {result['changelist_ms']:.1f} ms median "
        f"(max {result['changelist_p_max_ms']:.1f} ms) vs raw SQL {result['raw_ms']:.2f} ms; "
        f"queries {result['queries'][10]} at 10 per page, {result['queries'][100]} at 100"
    )
    name = "6 coordinator queue"
    return [
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
