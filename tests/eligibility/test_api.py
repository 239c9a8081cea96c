"""POST /api/v1/prescreen/: the public JSON contract."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from django.test import Client
from django.utils import timezone

from navigation.eligibility import RULE_SET_VERSION, parse_profile, prescreen

URL = "/api/v1/prescreen/"
PROFILE = {
    "stage": "IIIA",
    "gastrectomy": "none",
    "metastatic": False,
    "prior_lines": 0,
    "first_line_regimen": "XELOX",
    "her2_status": "negative",
    "lauren_type": "intestinal",
    "signet_ring": False,
    "ecog": 1,
    "severe_malnutrition": False,
}


def post(client: Client, body, **extra):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, raw, content_type="application/json", **extra)


def test_it_answers_with_the_pre_screen_of_the_profile(client, db, django_assert_num_queries):
    # Nothing is stored: not a single query reaches the database.
    with django_assert_num_queries(0):
        response = post(client, PROFILE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    profile, _ = parse_profile(PROFILE)
    assert body == prescreen(profile).as_dict()
    assert body["outcome"] == "strong"
    assert body["provisional"] is False
    assert body["rule_set_version"] == RULE_SET_VERSION
    assert [c["status"] for c in body["criteria"]][:2] == ["not_met", "met"]
    assert set(body["criteria"][0]) == {"id", "status", "evidence", "factor", "note", "reason"}


def test_an_empty_object_is_a_profile_with_everything_unknown(client):
    body = post(client, {}).json()
    assert body["outcome"] == "insufficient_information"
    assert "her2_status" in body["missing"]
    assert body["timeline"] is None
    assert body["advisories"] == []


@time_machine.travel(datetime(2026, 1, 20, 12, tzinfo=UTC))
def test_the_timeline_and_advisories_come_through(client):
    body = post(
        client,
        {
            "stage": "II",
            "gastrectomy": "d2",
            "curative_intent": True,
            "metastatic": False,
            "surgery_date": "2026-01-10",
            "peritoneal_metastasis": False,
        },
    ).json()
    assert body["outcome"] == "good"
    assert body["timeline"]["blood_collection_from"] == "2026-01-31"
    assert body["timeline"]["first_infusion_to"] == "2026-02-28"
    assert body["advisories"] == []
    peritoneal = post(client, {"stage": "II", "peritoneal_metastasis": True}).json()
    assert "intraperitoneal" in peritoneal["advisories"][0]


def test_no_csrf_token_is_needed(client):
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, PROFILE).status_code == 200


BAD_FIELDS = [
    ("ecog", True),  # a boolean is not an integer
    ("ecog", 2.0),  # neither is a float
    ("ecog", "2"),
    ("ecog", 5),
    ("ecog", -1),
    ("prior_lines", -1),
    ("prior_lines", 1.0),
    ("metastatic", 1),
    ("metastatic", "false"),
    ("stage", "V"),
    ("stage", "IVC"),
    ("stage", "IIC"),
    ("stage", "IC"),
    ("stage", "iiia"),
    ("gastrectomy", "D2"),
    ("first_line_regimen", "CAPOX"),
    ("her2_status", "3+"),
    ("lauren_type", "signet"),
    ("surgery_date", "10/01/2026"),
    ("surgery_date", "2026-13-01"),
    ("surgery_date", "2026-02-29"),
    ("surgery_date", 20260101),
]


@pytest.mark.parametrize(("name", "value"), BAD_FIELDS, ids=[f"{n}={v!r}" for n, v in BAD_FIELDS])
def test_a_bad_value_is_refused_naming_the_field(client, name, value):
    response = post(client, {**PROFILE, name: value})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [name]
    assert all(isinstance(message, str) and message for message in errors[name])


def test_a_surgery_date_in_the_future_is_refused(client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = post(client, {"surgery_date": tomorrow.isoformat()})
    assert response.status_code == 400
    assert response.json() == {"errors": {"surgery_date": ["Must not be in the future."]}}
    today = timezone.localdate().isoformat()
    assert post(client, {"surgery_date": today}).status_code == 200


def test_an_unknown_field_name_is_refused_so_typos_are_caught(client):
    response = post(client, {**PROFILE, "her2": "positive"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"her2": ['Unknown field. Did you mean "her2_status"?']}}


def test_every_bad_field_is_named_at_once(client):
    response = post(
        client, {"ecog": 9, "prior_lines": -1, "stage": "IIIE", "surgery_date": "soon", "x": 1}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"ecog", "prior_lines", "stage", "surgery_date", "x"}


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        '[{"stage": "III"}]',
        '"stage"',
        "42",
        "null",
        "true",
        "",
        "{",
        "{'stage': 'III'}",
        '{"ecog": NaN}',
        '{"prior_lines": Infinity}',
        b"\xff\xfe{}",
        "[" * 100_000 + "]" * 100_000,
        '{"prior_lines": ' + "9" * 5000 + "}",
    ],
    ids=[
        "array",
        "array of object",
        "string",
        "number",
        "null",
        "boolean",
        "empty body",
        "truncated",
        "single quotes",
        "NaN",
        "Infinity",
        "not UTF-8",
        "deeply nested",
        "huge integer",
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_as_a_whole(client, raw):
    response = post(client, raw)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["__all__"]
    assert errors["__all__"]


def test_a_body_over_the_upload_limit_is_refused_as_a_whole(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, {"stage": "III", "padding": "x" * 2000})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["__all__"]


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options"])
def test_other_methods_are_not_allowed(client, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert list(response.json()["errors"]) == ["__all__"]


def test_a_client_over_the_limit_is_told_to_wait(client, settings):
    settings.PRESCREEN_API_RATE_LIMIT = 3
    statuses = [post(client, PROFILE).status_code for _ in range(2)]
    statuses.append(post(client, {"ecog": 9}).status_code)  # refused requests count too
    assert statuses == [200, 200, 400]
    response = post(client, PROFILE)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert list(response.json()["errors"]) == ["__all__"]
    # The limit is per client: another address still gets answers.
    assert post(client, PROFILE, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_a_limit_of_zero_turns_the_limit_off(client, settings):
    settings.PRESCREEN_API_RATE_LIMIT = 0
    assert all(post(client, {}).status_code == 200 for _ in range(5))


@pytest.mark.redis
def test_the_limit_is_kept_in_redis_shared_by_every_web_process(
    client, settings, redis_url, unique
):
    # A prefix of our own, and no FLUSHDB: the broker may share this Redis database.
    prefix = f"test-prescreen-{unique}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    settings.PRESCREEN_API_RATE_LIMIT = 2
    assert [post(client, {}).status_code for _ in range(3)] == [200, 200, 429]
    server = redis.Redis.from_url(redis_url)
    keys = server.keys(f"{prefix}:*")
    assert keys and all(b"prescreen-api" in key for key in keys)
    server.delete(*keys)


def test_answers_keep_coming_when_the_cache_is_down(client, settings):
    # Nothing listens on port 1: every cache call fails, and the limit fails open.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.PRESCREEN_API_RATE_LIMIT = 1
    assert [post(client, {}).status_code for _ in range(2)] == [200, 200]
