"""The coordinators' queue: what it shows, its filters and actions, and its cost."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancerfax.pagination import LookaheadPaginator
from navigation.admin.cases import CaseAdmin
from navigation.models import Case, CaseEvent, CaseStatus, RecordsRequest, ReviewTask
from tests.navigation.factories import bulk_cases, make_case

pytestmark = pytest.mark.django_db

QUEUE = "/admin/navigation/case/"


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_number_of_queries_for_10_and_500_cases(
    coordinator_client, coordinator
):
    bulk_cases(10, assignee=coordinator)
    small = queries_for(coordinator_client, QUEUE)
    bulk_cases(490, assignee=coordinator, start=10)
    # 10 rows against a full page of 100 out of 500, and the same with a filter on.
    assert queries_for(coordinator_client, QUEUE) == small
    assert queries_for(coordinator_client, QUEUE + "?her2=positive&mine=yes") == small


def test_the_queue_shows_each_column(coordinator_client, coordinator):
    case = make_case(stage="IIIA", her2_ihc="3+", lauren_type="diffuse")
    case.assignee = coordinator
    case.missing_records, case.missing_records_count = ["her2", "imaging"], 2
    case.prescreen_outcome = "good"
    case.save()
    html = coordinator_client.get(QUEUE).content.decode()
    for text in ["IIIA", "positive", "diffuse", "good evidence", case.reference, "coordinator"]:
        assert text in html
    assert "Submitted" in html


class Checkboxes(HTMLParser):
    """The queue's row checkboxes: (name, value, aria-label) of each."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "input" and "action-select" in a.get("class", "").split():
            self.found.append((a.get("name", ""), a.get("value", ""), a.get("aria-label", "")))


def test_each_row_has_a_labelled_checkbox_that_selects_its_case_for_an_action(
    coordinator_client, coordinator
):
    case, other = make_case(), make_case()
    parser = Checkboxes()
    parser.feed(coordinator_client.get(QUEUE).content.decode())
    by_value = {value: (name, label) for name, value, label in parser.found}
    assert set(by_value) == {str(case.pk), str(other.pk)}
    name, label = by_value[str(case.pk)]
    assert case.reference in label  # a screen reader names the case it selects
    # Sending the form with that box ticked applies the action to that case only.
    response = coordinator_client.post(QUEUE, {"action": "assign_to_me", name: [case.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.assignee == coordinator
    assert other.assignee is None


def test_it_refuses_a_content_editor(editor_client):
    make_case()
    assert editor_client.get(QUEUE).status_code == 403


def test_a_long_filtered_queue_counts_a_few_pages_ahead_and_every_case_stays_reachable(
    coordinator_client, monkeypatch
):
    monkeypatch.setattr(CaseAdmin, "list_per_page", 5)
    cases = bulk_cases(120)
    # 10 cases move on, so 110 are still "submitted": 22 pages of 5.
    Case.objects.filter(pk__in=[c.pk for c in cases[:10]]).update(status=CaseStatus.UNDER_REVIEW)
    matching = Case.objects.filter(status=CaseStatus.SUBMITTED)
    url = QUEUE + "?status__exact=submitted"

    response = coordinator_client.get(url)
    cl = response.context["cl"]
    counted = (1 + LookaheadPaginator.pages_ahead) * 5
    assert cl.paginator.count_is_lower_bound
    html = response.content.decode()
    assert f"more than {counted} results" in html
    assert f"more than {counted} cases" in html
    assert "Select all matching cases" in html

    # Following the last page link, as a coordinator would, the count reaches further each
    # time, until it is exact; the oldest matching case is on the last page.
    hops = 0
    while cl.paginator.count_is_lower_bound:
        response = coordinator_client.get(url + f"&p={cl.paginator.num_pages}")
        assert response.status_code == 200
        cl = response.context["cl"]
        hops += 1
    assert hops > 1
    assert cl.result_count == matching.count()
    assert f"{matching.count()} results" in response.content.decode()
    last = coordinator_client.get(url + f"&p={cl.paginator.num_pages}")
    assert last.status_code == 200
    oldest = matching.order_by("created_at", "pk").first()
    assert oldest.pk in [c.pk for c in last.context["cl"].result_list]


def test_a_short_filtered_queue_gives_its_exact_count(coordinator_client):
    bulk_cases(7)
    response = coordinator_client.get(QUEUE + "?status__exact=submitted")
    assert response.context["cl"].result_count == 7
    assert not response.context["cl"].paginator.count_is_lower_bound
    assert "7 results" in response.content.decode()


def test_outcomes_read_as_words_in_the_queue(coordinator_client):
    case = make_case()
    case.prescreen_outcome = "insufficient_information"
    case.save()
    html = coordinator_client.get(QUEUE).content.decode()
    assert "insufficient information" in html
    assert "insufficient_information</td>" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("her2=positive", {"3+"}),
        ("her2=negative", {"0", "1+"}),
        ("her2=equivocal", {"2+"}),
        ("her2=unknown", {""}),
    ],
)
def test_the_her2_filter(coordinator_client, query, expected):
    bulk_cases(10)
    response = coordinator_client.get(f"{QUEUE}?{query}")
    shown = {case.patient.profile.her2_ihc for case in response.context["cl"].result_list}
    assert shown == expected


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("lauren=diffuse", lambda c: c.patient.profile.lauren_type == "diffuse"),
        ("lauren=unknown", lambda c: c.patient.profile.lauren_type == ""),
        ("stage=III", lambda c: c.patient.profile.stage.startswith("III")),
        ("stage=IV", lambda c: c.patient.profile.stage == "IV"),
        ("outcome=good", lambda c: c.prescreen_outcome == "good"),
        ("missing=yes", lambda c: c.missing_records_count > 0),
        ("missing=no", lambda c: c.missing_records_count == 0),
        ("status__exact=submitted", lambda c: c.status == "submitted"),
        ("due=overdue", lambda c: c.review_due_at < timezone.now()),
    ],
)
def test_each_filter_keeps_only_matching_cases(coordinator_client, query, check):
    bulk_cases(12)
    results = list(coordinator_client.get(f"{QUEUE}?{query}").context["cl"].result_list)
    assert results
    assert all(check(case) for case in results)
    assert len(results) < 12 or query == "status__exact=submitted"


@pytest.mark.parametrize(
    ("query", "kept"),
    [("age=1", {"hours"}), ("age=7", {"hours", "days"}), ("age=old", {"weeks"})],
)
def test_the_age_filter_keeps_the_cases_of_its_age(coordinator_client, query, kept):
    now = timezone.now()
    ages = {"hours": timedelta(hours=3), "days": timedelta(days=3), "weeks": timedelta(days=10)}
    cases = {name: make_case() for name in ages}
    for name, age in ages.items():
        Case.objects.filter(pk=cases[name].pk).update(created_at=now - age)
    results = coordinator_client.get(f"{QUEUE}?{query}").context["cl"].result_list
    assert {case.pk for case in results} == {cases[name].pk for name in kept}


def test_the_due_filter_goes_by_each_case_open_review_task(coordinator_client):
    now = timezone.now()
    cases = {name: make_case(email=f"{name}@example.org") for name in "ABCDE"}

    def task(name: str, hours: float, done: bool = False) -> None:
        ReviewTask.objects.create(
            case=cases[name], due_at=now + timedelta(hours=hours), done_at=now if done else None
        )

    task("A", -2)  # overdue
    task("B", 5)  # due within a day
    task("C", 72)  # later
    task("D", -2, done=True)  # done: no open task; E has never had one
    for query, expected in [("overdue", "A"), ("24h", "B"), ("none", "DE")]:
        results = coordinator_client.get(f"{QUEUE}?due={query}").context["cl"].result_list
        assert {c.pk for c in results} == {cases[n].pk for n in expected}, query


def test_my_cases_shows_only_mine(coordinator_client, coordinator, superuser):
    mine = bulk_cases(3, assignee=coordinator)
    bulk_cases(4, assignee=superuser, start=3)
    results = coordinator_client.get(QUEUE + "?mine=yes").context["cl"].result_list
    assert {c.pk for c in results} == {c.pk for c in mine}


@pytest.mark.parametrize("field", ["reference", "full_name", "email"])
def test_search_by_reference_name_or_email(coordinator_client, field):
    bulk_cases(5)
    case = make_case(full_name="Wilhelmina Searchable", email="findme@example.net")
    term = {"reference": case.reference, "full_name": "Searchable", "email": "findme@example.net"}
    results = coordinator_client.get(QUEUE, {"q": term[field]}).context["cl"].result_list
    assert [c.pk for c in results] == [case.pk]


def action(client, name: str, cases) -> None:
    response = client.post(
        QUEUE, {"action": name, "_selected_action": [c.pk for c in cases], "index": 0}
    )
    assert response.status_code == 302


def test_assign_to_me_and_start_review_go_through_the_services(coordinator_client, coordinator):
    cases = bulk_cases(3)
    action(coordinator_client, "assign_to_me", cases)
    action(coordinator_client, "start_review", cases)
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
        assert case.assignee == coordinator
        assert case.status == CaseStatus.UNDER_REVIEW
        assert CaseEvent.objects.filter(
            case=case, actor=coordinator, to_status=CaseStatus.UNDER_REVIEW
        ).exists()
    # Again: nothing moves twice.
    action(coordinator_client, "start_review", cases)
    assert CaseEvent.objects.filter(to_status=CaseStatus.UNDER_REVIEW).count() == 3


def test_request_missing_records_and_mark_not_suitable(coordinator_client, mailoutbox):
    cases = bulk_cases(4)
    action(coordinator_client, "request_missing_records", cases)
    # Odd-numbered bulk cases miss the HER2 report; the others have nothing to ask for.
    assert RecordsRequest.objects.count() == 2
    assert len(mailoutbox) == 2
    action(coordinator_client, "mark_not_suitable", cases)
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.NOT_SUITABLE}


@pytest.mark.usefixtures("postgres")
def test_the_queue_benchmark_runs_and_finds_a_page_size_independent_query_count():
    from bench.queue_changelist import run_measure

    result = run_measure(total_cases=120, rounds=2)
    assert result["cases"] == 120
    assert result["queries"][10] == result["queries"][100]
    assert result["changelist_ms"] > 0 and result["raw_ms"] > 0


def test_the_her2_filter_uses_the_reported_status_when_there_are_no_scores(coordinator_client):
    reported = make_case(her2_ihc="", her2_reported_status="positive")
    scored = make_case(her2_ihc="1+", her2_reported_status="positive")  # the scores win
    results = coordinator_client.get(QUEUE + "?her2=positive").context["cl"].result_list
    assert [c.pk for c in results] == [reported.pk]
    negative = coordinator_client.get(QUEUE + "?her2=negative").context["cl"].result_list
    assert [c.pk for c in negative] == [scored.pk]


@pytest.mark.usefixtures("postgres")
def test_the_growth_benchmark_times_every_path_at_each_size_and_finds_the_sought_case():
    from bench.queue_changelist import FILTER_PATHS, GROWTH_PATHS, growth_checks, run_growth

    result = run_growth(sizes=(20, 40), rounds=3)
    assert set(result["times"]) == set(GROWTH_PATHS) | set(FILTER_PATHS)
    # Page 50 exists from 5,000 cases on; every other path is timed at both sizes.
    measured = {path: by_size for path, by_size in result["times"].items() if by_size}
    assert set(result["times"]) - set(measured) == {"page 50"}
    for path, by_size in measured.items():
        assert [len(by_size[size]) for size in (20, 40)] == [3, 3], path
        assert result["queries"][path][20] == result["queries"][path][40], path
    checks = growth_checks(result)
    # Two rows per path measured, two for the filters together.
    assert len(checks) == 2 * (len(GROWTH_PATHS) - 1) + 2
    assert all(check.status != "NOT RUN" for check in checks)
