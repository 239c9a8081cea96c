"""A small world for crawling and the authorization matrix: two patients with everything a
case can have, the four staff roles signed in with their second factor, a draft of the page
sent for review, and a client per role."""

import hashlib
from dataclasses import dataclass, field

from django.contrib.admin import site
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models
from django.test import Client
from django.utils import timezone

from navigation.models import (
    Case,
    CaseEvent,
    CaseNote,
    Centre,
    OncologySummary,
    Outbox,
    RecordsRequest,
    ReviewTask,
)
from records.models import AuditEvent, Consent, Document, Patient
from records.services.audit import audit_record
from tests.conftest import staff_client
from tests.navigation.factories import make_case, make_document

ROLES = (
    "anonymous",
    "patient_a",
    "patient_b",
    "coordinator",
    "editor",
    "reviewer",
    "superuser",
)
PATIENT_A_EMAIL = "ana.owner@example.org"
PATIENT_B_EMAIL = "ben.other@example.org"


def patient_client(email: str) -> Client:
    """Sign a patient in to the portal the way they do: an emailed link, then its button."""
    from navigation.services.portal import portal_link_issue

    client = Client()
    token = portal_link_issue(email=email)
    response = client.post(f"/portal/signin/{token}/")
    assert response.status_code == 302, response.status_code
    return client


def _case_with_everything(email: str, name: str, staff: User) -> Case:
    case = make_case(email=email, full_name=name)
    patient = case.patient
    make_document(patient)
    Consent.objects.create(
        patient=patient, text_version="test", text_sha256="0" * 64, given_at=timezone.now()
    )
    CaseEvent.objects.create(case=case, at=timezone.now(), to_status=case.status, note="opened")
    Outbox.objects.create(kind=Outbox.Kind.OPEN_CASE_REVIEW, case=case)
    ReviewTask.objects.create(case=case, due_at=timezone.now() + timezone.timedelta(days=2))
    RecordsRequest.objects.create(case=case, requested_by=staff, items=["her2"])
    CaseNote.objects.create(case=case, author=staff, text="internal note")
    summary_bytes = b"%PDF-1.4\n% oncology summary\n"
    summary_name = storages["private"].save(
        f"summaries/{case.reference}.pdf", ContentFile(summary_bytes)
    )
    OncologySummary.objects.create(
        case=case,
        storage_name=summary_name,
        sha256=hashlib.sha256(summary_bytes).hexdigest(),
        built_at=timezone.now(),
        profile_updated_at=timezone.now(),
    )
    audit_record(
        actor=staff,
        actor_label=staff.username,
        action=AuditEvent.Action.VIEW_CASE,
        patient=patient,
        target=case.reference,
    )
    return case


@dataclass
class World:
    users: dict[str, User]
    clients: dict[str, Client]
    case_a: Case
    case_b: Case
    objects: dict[str, object] = field(default_factory=dict)

    @property
    def patient_a(self) -> Patient:
        return self.case_a.patient

    @property
    def doc_a(self) -> Document:
        return self.patient_a.documents.first()

    def instance(self, model: type[models.Model]) -> models.Model:
        """Patient A's row of this model where rows belong to a patient; else any row."""
        qs = model._default_manager.all()
        if model is Patient:
            return self.patient_a
        if model is Case:
            return self.case_a
        if model is AuditEvent:
            return qs.filter(patient_ref=self.patient_a.public_id).first()
        names = {f.name for f in model._meta.get_fields()}
        if "patient" in names:
            return qs.filter(patient=self.patient_a).first()
        if "case" in names:
            return qs.filter(case=self.case_a).first()
        row = qs.order_by("pk").first()
        if row is None:
            raise LookupError(f"the test world has no {model.__name__}: add one in world.py")
        return row

    def format_context(self) -> dict:
        return {
            "case_a": self.case_a,
            "case_b": self.case_b,
            "patient_a": self.patient_a,
            "doc_a": self.doc_a,
            "request_a": self.case_a.records_requests.order_by("pk").first(),
            **self.objects,
        }


def build_world(coordinator: User, editor: User, superuser: User) -> World:
    case_a = _case_with_everything(PATIENT_A_EMAIL, "Ana Owner", coordinator)
    case_b = _case_with_everything(PATIENT_B_EMAIL, "Ben Other", coordinator)
    Centre.objects.create(name="Example centre", city="Example city", languages="English")
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice

    AccessAttempt.objects.create(
        username="someone", ip_address="192.0.2.1", failures_since_start=1, user_agent="x"
    )
    AccessLog.objects.create(username="someone", ip_address="192.0.2.1", user_agent="x")
    AccessFailureLog.objects.create(username="someone", ip_address="192.0.2.1", user_agent="x")
    StaticDevice.objects.create(user=superuser, name="backup", confirmed=True)
    from cancerfax.tasking import heartbeat

    for component in ("worker", "beat", "reconciler"):  # /readyz/worker answers 200
        heartbeat(component)

    from cancerfax.roles import CLINICAL_REVIEWERS

    reviewer = User.objects.create_user(username="reviewer", is_staff=True)
    reviewer.groups.add(Group.objects.get(name=CLINICAL_REVIEWERS))
    users = {
        "coordinator": coordinator,
        "editor": editor,
        "reviewer": reviewer,
        "superuser": superuser,
    }
    clients: dict[str, Client] = {
        "anonymous": Client(),
        "patient_a": patient_client(PATIENT_A_EMAIL),
        "patient_b": patient_client(PATIENT_B_EMAIL),
        **{role: staff_client(Client(), user) for role, user in users.items()},
    }
    for c in clients.values():
        c.raise_request_exception = False  # a 500 is an answer to judge, not a crash
    world = World(users=users, clients=clients, case_a=case_a, case_b=case_b)
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from content.models import InformationPage

    world.objects["group"] = Group.objects.first()
    world.objects["page"] = InformationPage.objects.order_by("pk").first()
    from content.services.revisions import page_draft_open, revision_create

    draft = page_draft_open(page=world.objects["page"])
    world.objects["revision"] = revision_create(draft=draft, author=editor)
    world.objects["case_ct"] = ContentType.objects.get_for_model(Case).pk
    world.objects["totp"] = TOTPDevice.objects.filter(user=superuser).first()
    return world


def registered_models() -> list[type[models.Model]]:
    return list(site._registry)
