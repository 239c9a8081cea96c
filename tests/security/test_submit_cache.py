"""No /submit/ page carrying health answers may be kept by a browser or proxy."""

import pytest
from django.test import TestCase

from tests.navigation.test_intake import valid_answers

pytestmark = pytest.mark.django_db


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, response.headers.get("Cache-Control")


def test_the_form_prefilled_from_the_pre_screen_is_not_stored(client):
    response = client.get("/submit/", {"stage": "III", "her2_status": "positive", "ecog": "1"})
    assert response.status_code == 200
    assert_not_stored(response)


def test_the_form_re_rendered_with_errors_is_not_stored(client):
    response = client.post("/submit/", valid_answers(consent="", diagnosis_date="2999-01-01"))
    assert response.status_code == 400
    assert b"T3" in response.content  # the health answers are on the page
    assert_not_stored(response)


def test_the_received_page_is_not_stored(client):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/submit/", valid_answers())
    assert response.status_code == 302
    received = client.get(response["Location"])
    assert received.status_code == 200
    assert_not_stored(received)
