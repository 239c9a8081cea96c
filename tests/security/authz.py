"""The authorization matrix: reading the table, making each URL concrete, judging answers."""

import re
import tomllib
from pathlib import Path

from django.contrib.admin import site
from django.http import HttpResponse
from django.urls import reverse

from tests.security.urlwalk import Route
from tests.security.world import ROLES, World

MATRIX_PATH = Path(__file__).with_name("authz_matrix.toml")
OUTCOMES = {
    "ok",  # 2xx: the page or file is served
    "redirect",  # 3xx somewhere other than a sign-in page
    "login",  # 3xx to the admin sign-in or the portal's sign-in page
    "bad_request",
    "forbidden",
    "not_found",
    "method_not_allowed",
}
SIGN_IN_PATHS = ("/admin/login/", "/portal/", "/portal/signin/")


def load_matrix() -> dict[str, dict]:
    with MATRIX_PATH.open("rb") as fh:
        return tomllib.load(fh)["url"]


def classify(response: HttpResponse) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = response["Location"].split("?")[0]
        return "login" if location in SIGN_IN_PATHS else "redirect"
    if 200 <= status < 300:
        return "ok"
    return {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
    }.get(status, f"status_{status}")


def _admin_model_view(key: str, route: str):
    """(model, view) for the admin's per-model URLs, else None."""
    for model in site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        prefix = f"admin:{app}_{name}_"
        if key.startswith(prefix):
            return model, key[len(prefix) :]
        if route == f"admin/{app}/{name}/<path:object_id>/":
            return model, "object_redirect"
    return None


def concrete_url(route: Route, row: dict, world: World) -> str:
    if "url" in row:
        return row["url"].format(**world.format_context())
    found = _admin_model_view(route.key, route.route)
    if found:
        model, view = found
        obj = world.instance(model)
        if view == "simple_history":
            record = obj.history.order_by("history_id").first()
            return reverse(route.key.replace("_simple_history", "_history"), args=[obj.pk]) + (
                f"{record.history_id}/"
            )
        if view == "object_redirect":
            return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/"
        if route.params:
            return reverse(route.key, kwargs={route.params[0]: obj.pk})
        return reverse(route.key)
    if route.params or not route.name:
        raise LookupError(f"{route.key}: give this row a url template")
    return reverse(route.key)


def leaked_identity(world: World, body: bytes) -> list[str]:
    """Patient A's identifying values found in a response body."""
    patient = world.patient_a
    values = [patient.full_name, patient.email, world.case_a.reference]
    return [v for v in values if v and v.encode() in body]


def skeleton_row(route: Route) -> str:
    """A starting row for a new URL pattern, from the roles' policy; review it by hand."""
    found = _admin_model_view(route.key, route.route)
    row: dict[str, str] = {}
    if route.key.startswith("admin:") or route.route.startswith("admin/"):
        row = {r: "login" for r in ROLES}
        app = found[0]._meta.app_label if found else ""
        view = found[1] if found else ""
        staff = {
            "coordinator": app in {"records", "navigation"}
            or (app == "content" and view in {"changelist", "change", "history"}),
            "editor": app == "content",
            "superuser": True,
        }
        for role, allowed in staff.items():
            row[role] = (
                ("redirect" if view == "object_redirect" else "ok") if allowed else ("forbidden")
            )
    else:
        row = {r: "ok" for r in ROLES}
    cells = ", ".join(f'{r} = "{row[r]}"' for r in ROLES)
    extra = ""
    if route.params and not found:
        extra = ', url = "TODO"'
    return f'"{route.key}" = {{ {cells}{extra} }}'


KEY_RE = re.compile(r"^[\w:/<>.^$()?*+\[\]|-]+$")
