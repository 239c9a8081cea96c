"""What the records admin pages share: every page of patient data they show is audited (and
so is an autocomplete answer that names patients), and files leave only through the audited
download view."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cancerfax.roles import staff_member
from cancerfax.security import client_ip
from records.audit import audit_query
from records.models import AuditEvent, Document, Patient
from records.services.audit import audit_list_record, audit_record


def download_link(document: Document) -> str:
    if not document.is_downloadable or document.patient_id is None:
        return "—"
    url = reverse("admin:records_document_download", args=[document.public_id])
    return format_html('<a href="{}">{}</a>', url, _("Download"))


def shown(request: HttpRequest, response: HttpResponse, key: str):
    """The object an admin page actually showed: a 200 answer to a read, else None.

    Taken from the response's context, so a 403, a 404 or a redirect is never audited and
    the row is not read a second time. A POST answered with the page again (a form with
    errors) shows the record as much as a GET does."""
    if response.status_code != 200:
        return None
    return getattr(response, "context_data", {}).get(key)


def audit_list(
    request: HttpRequest,
    response: HttpResponse,
    *,
    patient_of: Callable[[Any], Patient | None],
    target: str,
) -> None:
    """One audit row for a list page of patient data as it was rendered: its query (search
    terms as digests) and every patient on the page, even none (a search that finds nobody
    still tells whether someone is on file)."""
    changelist = getattr(response, "context_data", {}).get("cl")
    if response.status_code != 200 or changelist is None:
        return
    audit_list_record(
        actor=staff_member(request),
        patients=[patient_of(row) for row in changelist.result_list],
        query=audit_query(request),
        target=target,
        ip_address=client_ip(request),
    )


def audit_view(request: HttpRequest, *, patient: Patient, target: str) -> None:
    actor = staff_member(request)
    audit_record(
        actor=actor,
        actor_label=actor.get_username(),
        action=AuditEvent.Action.VIEW_RECORDS,
        patient=patient,
        target=target,
        ip_address=client_ip(request),
    )


def _patient_path(model: type[Model]) -> str | None:
    """The lookup from a row of `model` to its patient's public id; None if it has none."""
    if model is Patient:
        return "public_id"
    try:
        patient = model._meta.get_field("patient")
    except FieldDoesNotExist:
        return None
    return "patient__public_id" if patient.related_model is Patient else None


def audit_autocomplete_answer(
    sender, *, request: HttpRequest, model: type[Model], to_field: str, ids: list, **kwargs
) -> None:
    """Receiver of the admin's `autocomplete_answered`: an answer that offered patients (or
    rows that belong to one) maps what was typed, an email for instance, to people. It is
    audited as a list: its query and the patients it named."""
    path = _patient_path(model)
    if path is None:
        return
    refs = model._default_manager.filter(**{f"{to_field}__in": ids}).values_list(path, flat=True)
    audit_list_record(
        actor=staff_member(request),
        patients=refs,
        query=audit_query(request),
        target=f"autocomplete {model._meta.label_lower}",
        ip_address=client_ip(request),
    )
