"""The queue's search and every queue path cost the same whatever the number of cases.

Query counts are checked everywhere; on PostgreSQL the plans are read too, since a query can
stay one query and still scan the whole table.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from navigation.admin.cases import CaseAdmin
from navigation.models import Case
from navigation.selectors import (
    case_queue,
    case_search,
    coordinator_with_fewest_open_tasks,
    coordinators_by_open_tasks,
    reference_canonical,
)
from tests.navigation.factories import bulk_cases, make_case
from tests.navigation.test_portal_signin import sign_in

pytestmark = pytest.mark.django_db

QUEUE = "/admin/navigation/case/"

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
    "status__exact=submitted&her2=positive",
]


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def sought() -> Case:
    return make_case(full_name="Wilhelmina Searchable", email="findme@example.net")


def queue_paths(case: Case, coordinator) -> list[str]:
    searches = [case.reference, case.reference.lower(), "findme@example.net", "Searchable"]
    return (
        [QUEUE, QUEUE + f"?assignee={coordinator.pk}"]
        + [f"{QUEUE}?{f}" for f in FILTERS]
        + [f"{QUEUE}?q={term}" for term in searches]
    )


def test_every_queue_path_costs_the_same_number_of_queries_for_10_and_500_cases(
    coordinator_client, coordinator, monkeypatch
):
    case = sought()
    bulk_cases(10, assignee=coordinator)
    small = {url: queries_for(coordinator_client, url) for url in queue_paths(case, coordinator)}
    bulk_cases(490, assignee=coordinator, start=10)
    large = {url: queries_for(coordinator_client, url) for url in queue_paths(case, coordinator)}
    assert large == small
    # A late page of 500 costs what the only page of 10 did: page 5 of 100 rows, and page 50
    # of 5 rows (a hundred pages), unfiltered and filtered.
    assert queries_for(coordinator_client, QUEUE + "?p=5") == small[QUEUE]
    monkeypatch.setattr(CaseAdmin, "list_per_page", 5)
    assert queries_for(coordinator_client, QUEUE + "?p=50") == small[QUEUE]
    filtered = f"{QUEUE}?mine=yes"
    assert queries_for(coordinator_client, filtered + "&p=50") == small[filtered]


def test_the_portal_case_list_costs_the_same_number_of_queries_for_10_and_500_cases(client):
    make_case(email="ana@example.org", full_name="Ana Patient")
    bulk_cases(10)
    sign_in(client, "ana@example.org")
    small = queries_for(client, "/portal/")
    bulk_cases(490, start=10)
    assert queries_for(client, "/portal/") == small


@pytest.mark.parametrize(
    "term", ["CF-ABCD2345", "cf-abcd2345", " CF ABCD2345 ", "cfabcd2345", "CF-abcd2345"]
)
def test_a_reference_is_found_however_it_is_typed(coordinator_client, term):
    bulk_cases(3)
    case = make_case()
    Case.objects.filter(pk=case.pk).update(reference="CF-ABCD2345")
    results = coordinator_client.get(QUEUE, {"q": term}).context["cl"].result_list
    assert [c.pk for c in results] == [case.pk]


def test_the_review_task_list_finds_a_task_by_its_case_reference_however_typed(
    superuser_client,
):
    cases = bulk_cases(3)
    url = "/admin/navigation/reviewtask/"
    for term, expected in [(cases[1].reference.lower(), [cases[1].pk]), ("Nobody", [])]:
        results = superuser_client.get(url, {"q": term}).context["cl"].result_list
        assert [task.case_id for task in results] == expected, term


def test_a_name_is_not_mistaken_for_a_reference():
    assert reference_canonical("Schumann") is None
    assert reference_canonical("CF-B0000012") == "CF-B0000012"


def test_an_email_is_found_by_its_canonical_form_and_only_exactly(coordinator_client):
    case = make_case(email="Find.Me@EXAMPLE.net")
    make_case(email="find.me@example.network")
    for term, expected in [
        ("find.me@example.net", [case.pk]),
        (" FIND.ME@example.NET", [case.pk]),
        ("find.me@example", []),
        ("me@example.net", []),
    ]:
        results = coordinator_client.get(QUEUE, {"q": term}).context["cl"].result_list
        assert [c.pk for c in results] == expected, term


def test_a_name_search_finds_the_patient_by_surname_and_not_others(coordinator_client):
    bulk_cases(5)
    case = sought()
    results = coordinator_client.get(QUEUE, {"q": "searchable"}).context["cl"].result_list
    assert [c.pk for c in results] == [case.pk]
    nobody = coordinator_client.get(QUEUE, {"q": "Zzyzx"}).context["cl"].result_list
    assert list(nobody) == []


@pytest.mark.usefixtures("postgres")
def test_on_postgresql_a_misspelt_surname_still_finds_the_patient():
    case = sought()
    make_case(full_name="Otto Different")
    assert [c.pk for c in case_search(case_queue(), "Serchable")] == [case.pk]


# --- plans on PostgreSQL -----------------------------------------------------------------


def plan(queryset) -> str:
    """The plan PostgreSQL chooses when reading a whole table costs far more than anything.

    The test tables hold a few hundred rows, where reading everything is rightly cheaper than
    any index, so the planner's natural choice would say nothing. With sequential and plain
    index scans priced out (SET LOCAL: this test's transaction only) the planner is left with
    bitmap index scans, which need an index that serves a condition of the query; when none
    does it still falls back to a sequential scan, so a Seq Scan in the plan means a missing
    index. (With plain index scans allowed, a walk of the whole primary key index with a
    filter can stand in for a sequential scan.) This is quicker and steadier than loading
    the 100k rows at which the choice becomes natural.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_patient, navigation_case, navigation_reviewtask")
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
    return queryset.explain()


@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize(
    ("kind", "index"),
    [
        ("reference", "navigation_case_reference"),
        ("email", "records_patient_email"),
        ("name", "patient_full_name_trgm"),
    ],
)
def test_on_postgresql_each_search_reads_an_index_not_the_whole_table(kind, index):
    bulk_cases(300)
    case = sought()
    term = {"reference": case.reference, "email": "findme@example.net", "name": "Searchable"}
    text = plan(case_search(case_queue(), term[kind]))
    assert index in text, text
    assert "Seq Scan on navigation_case" not in text, text
    assert "Seq Scan on records_patient" not in text, text


@pytest.mark.usefixtures("postgres")
def test_on_postgresql_assigning_a_review_counts_open_tasks_on_their_own_index(coordinator):
    bulk_cases(300, assignee=coordinator)
    assert coordinator_with_fewest_open_tasks() == coordinator
    text = plan(coordinators_by_open_tasks())
    assert "review_task_open_assignee" in text, text
    assert "Seq Scan on navigation_reviewtask" not in text, text


@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("rescreen=changed", "case_rescreen_changed"),
        ("her2_check=disagree", "profile_her2_discordant"),
    ],
)
def test_on_postgresql_a_filter_that_matches_few_cases_reads_its_own_index(
    coordinator_client, query, index
):
    # Counting a filter reads its matching cases; one that few cases match would otherwise
    # read every case to find them.
    bulk_cases(300)
    response = coordinator_client.get(f"{QUEUE}?{query}")
    queryset = response.context["cl"].queryset
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_clinicalprofile")
    text = plan(queryset.order_by().values("pk"))
    assert index in text, text
    assert "Seq Scan on navigation_case" not in text, text
    assert "Seq Scan on records_clinicalprofile" not in text, text
