"""Every URL pattern × every role, read from authz_matrix.toml, against patient A's objects.

Patient A owns the objects in each URL; patient B is another patient; staff roles reach the
admin with their second factor. A cell is a leak when a role gets a 2xx it should not, or
when patient A's name, email or case reference shows in a page for someone not entitled.
"""

import pytest
from django.contrib.admin import site

from records.models import AuditEvent
from tests.security.authz import (
    OUTCOMES,
    classify,
    concrete_url,
    leaked_identity,
    load_matrix,
)
from tests.security.urlwalk import all_routes
from tests.security.world import ROLES, build_world

MATRIX = load_matrix()
# Roles that must never see patient A's identity, whatever the status code.
NOT_ENTITLED = {"anonymous", "patient_b", "editor", "reviewer"}
# (role, cells tested, leaks, audited views, patient-data views allowed), for the summary.
FIGURES: list[tuple[str, int, int, int, int]] = []
UNAUDITED: set[str] = set()


def test_every_url_pattern_is_in_the_table():
    missing = [r.key for r in all_routes() if r.key not in MATRIX]
    assert not missing, (
        "URL patterns missing from tests/security/authz_matrix.toml "
        "(python -m tests.security.make_authz_skeleton prints starting rows): "
        + ", ".join(missing)
    )


def test_the_table_names_no_pattern_that_is_gone_and_uses_known_outcomes():
    keys = {r.key for r in all_routes()}
    assert not [k for k in MATRIX if k not in keys]
    for key, row in MATRIX.items():
        assert set(ROLES) <= set(row), key
        assert {row[r] for r in ROLES} <= OUTCOMES, key


def test_every_registered_admin_model_has_its_pages_in_the_table():
    for model in site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        views = {k[len(prefix) :] for k in MATRIX if k.startswith(prefix)}
        assert {"changelist", "add", "change", "delete", "history"} <= views, model


def _requests(world):
    routes = {r.key: r for r in all_routes()}
    # Mutating requests last, so a withdrawal or sign-out cannot change earlier answers.
    ordered = sorted(MATRIX.items(), key=lambda kv: kv[1].get("order", 0))
    for key, row in ordered:
        if key in routes:
            yield key, row, concrete_url(routes[key], row, world)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(role, coordinator, editor, superuser):
    world = build_world(coordinator, editor, superuser)
    client = world.clients[role]
    mismatches, leaks, audited, audit_expected, cells = [], [], 0, 0, 0
    for key, row, url in _requests(world):
        cells += 1
        method = row.get("method", "get")
        before = AuditEvent.objects.count()
        response = getattr(client, method)(url)
        got = classify(response)
        expected = row[role]
        if got != expected:
            mismatches.append(f"{key} {method.upper()} {url}: expected {expected}, got {got}")
            if got == "ok" and expected != "ok":
                leaks.append(key)
        if role in NOT_ENTITLED:
            found = leaked_identity(world, response.content)
            if found:
                leaks.append(key)
                mismatches.append(f"{key} {url}: patient A's data in the body: {found}")
        shows_patient_data = row.get("audited") or row.get("patient_data")
        if shows_patient_data and got == "ok" and expected == "ok":
            audit_expected += 1
            written = AuditEvent.objects.count() - before
            if written:
                audited += 1
            else:
                UNAUDITED.add(key)
            # One view, one row: none hides a look at the record, more would double-count it.
            if written != 1:
                mismatches.append(
                    f"{key} {url}: viewed patient data with {written} audit rows, not one"
                )
    FIGURES.append((role, cells, len(set(leaks)), audited, audit_expected))
    assert not mismatches, "\n".join(mismatches)
