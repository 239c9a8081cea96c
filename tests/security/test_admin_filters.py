"""Every parameter of the case queue answers 400 or ignores a bad value: never a 500."""

import pytest
from django.contrib.admin.views.main import ChangeList

from navigation.admin.cases import CaseAdmin
from tests.navigation.factories import make_case

pytestmark = pytest.mark.django_db

QUEUE = "/admin/navigation/case/"
JUNK = ["x", "", "-1", "0", "1.5", "99999999999999999999", "' OR 1=1 --", "\u0131", "%", "\x00"]


def queue_parameters(client) -> list[str]:
    """Every filter parameter the queue offers, read from the page's own filter links, plus
    the changelist's own (search, ordering, page, all, error flag)."""
    response = client.get(QUEUE)
    assert response.status_code == 200
    changelist: ChangeList = response.context_data["cl"]
    names = set()
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    assert len(changelist.filter_specs) == len(CaseAdmin.list_filter)
    return sorted(names) + ["q", "o", "p", "all", "e", "_to_field", "unknown_field"]


def test_every_queue_parameter_with_junk_answers_400_or_is_ignored(coordinator_client):
    make_case()
    parameters = queue_parameters(coordinator_client)
    assert "assignee" in parameters and "status__exact" in parameters
    for name in parameters:
        for junk in JUNK:
            response = coordinator_client.get(QUEUE, {name: junk})
            assert response.status_code in (200, 302, 400), (name, junk, response.status_code)


def test_a_junk_assignee_shows_the_whole_queue(coordinator_client):
    case = make_case()
    response = coordinator_client.get(QUEUE, {"assignee": "x"})
    assert response.status_code == 200
    assert case.reference in response.content.decode()


def test_a_nul_character_in_the_query_is_a_bad_request(coordinator_client):
    assert coordinator_client.get(QUEUE, {"q": "a\x00b"}).status_code == 400
