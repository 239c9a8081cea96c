"""The reconciler: completion, not delivery, closes the outbox; every open case gets its
review whatever the outbox says."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cancerfax.models import Heartbeat
from navigation.models import Case, CaseStatus, Outbox, ReviewTask
from navigation.services import outbox as outbox_service
from navigation.services.cases import case_open
from navigation.services.reconcile import reviews_reconcile
from navigation.services.review import case_review_open
from tests.navigation.factories import make_patient

pytestmark = pytest.mark.django_db
KIND = Outbox.Kind.OPEN_CASE_REVIEW
LATER = timedelta(hours=1)


@pytest.fixture
def lost_broker(monkeypatch):
    """A broker that takes every task and then loses it (Redis restarted without its data)."""
    taken: list[int] = []
    monkeypatch.setattr(outbox_service, "_publish", lambda *, kind, case_id: taken.append(case_id))
    return taken


def test_a_row_is_done_only_once_its_review_task_exists(coordinator, lost_broker):
    case = Case.objects.create(patient=make_patient())
    outbox = Outbox.objects.create(kind=KIND, case=case)
    assert outbox_service.outbox_publish(outbox=outbox)
    outbox.refresh_from_db()
    assert outbox.sent_at is not None and outbox.done_at is None

    case_review_open(case_id=case.pk)
    outbox.refresh_from_db()
    assert outbox.done_at is not None
    assert ReviewTask.objects.filter(case=case).exists()


def test_a_review_sent_but_lost_by_the_broker_is_sent_again_after_the_grace_period(
    coordinator, lost_broker
):
    case = Case.objects.create(patient=make_patient())
    outbox = Outbox.objects.create(kind=KIND, case=case)
    outbox_service.outbox_publish(outbox=outbox)
    assert lost_broker == [case.pk]

    assert reviews_reconcile().resent == 0  # still within the grace period: left alone
    result = reviews_reconcile(now=timezone.now() + LATER)
    assert result.resent == 1
    assert lost_broker == [case.pk, case.pk]
    outbox.refresh_from_db()
    assert outbox.attempts == 2 and outbox.done_at is None


def test_a_done_row_is_never_sent_again(coordinator, lost_broker):
    case = Case.objects.create(patient=make_patient())
    Outbox.objects.create(kind=KIND, case=case)
    case_review_open(case_id=case.pk)
    assert reviews_reconcile(now=timezone.now() + LATER).total == 0
    assert lost_broker == []


def test_an_open_case_without_a_review_is_found_whatever_its_outbox_row_says(
    coordinator, settings
):
    # The row claims the work is done, or there is no row at all: the reconciler looks
    # at the effect, the review task, and runs the review (in-process here).
    settings.CELERY_BROKER_URL = ""
    lying = Case.objects.create(patient=make_patient())
    Outbox.objects.create(kind=KIND, case=lying, sent_at=timezone.now(), done_at=timezone.now())
    rowless = Case.objects.create(patient=make_patient())
    closed = Case.objects.create(patient=make_patient(), status=CaseStatus.WITHDRAWN)

    result = reviews_reconcile(now=timezone.now() + LATER)
    assert result.requeued == 2
    assert ReviewTask.objects.filter(case__in=[lying, rowless]).count() == 2
    assert not ReviewTask.objects.filter(case=closed).exists()
    assert Outbox.objects.filter(case__in=[lying, rowless], done_at__isnull=False).count() == 2
    assert reviews_reconcile(now=timezone.now() + LATER).total == 0


def test_a_review_task_whose_coordinators_were_never_told_is_notified_once(coordinator):
    case = Case.objects.create(patient=make_patient())
    task = ReviewTask.objects.create(case=case, due_at=timezone.now() + LATER)
    Outbox.objects.create(kind=KIND, case=case, sent_at=timezone.now(), done_at=timezone.now())
    mail.outbox.clear()

    assert reviews_reconcile(now=timezone.now() + LATER).notified == 1
    assert reviews_reconcile(now=timezone.now() + LATER).notified == 0
    task.refresh_from_db()
    assert task.notified_at is not None
    assert [m.subject for m in mail.outbox] == [f"New case to review: {case.reference}"]


def test_a_review_that_meets_a_database_outage_is_retried_not_acknowledged_as_done(
    coordinator, monkeypatch
):
    from celery.exceptions import Retry
    from django.db import OperationalError

    from navigation import tasks
    from navigation.services import review

    case = Case.objects.create(patient=make_patient())

    def outage(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(review, "case_review_open", outage)
    retried = []
    monkeypatch.setattr(
        tasks.open_case_review, "retry", lambda **kw: retried.append(kw) or Retry()
    )
    with pytest.raises(Retry):
        tasks.open_case_review.run(case.pk)
    assert len(retried) == 1
    assert 0 <= retried[0]["countdown"] <= 60
    assert isinstance(retried[0]["exc"], OperationalError)


def test_the_command_reconciles_and_stamps_the_reconcilers_heartbeat(
    coordinator, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = ""
    with pytest.MonkeyPatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setattr(outbox_service, "_publish", lambda **kw: None)
        case = case_open(patient=make_patient())  # sent, then lost: no review ran
    assert Outbox.objects.get(case=case).sent_at is not None
    call_command("reconcile_reviews", "--grace", "0", stdout=io.StringIO())
    assert ReviewTask.objects.filter(case=case).count() == 1
    assert Heartbeat.objects.filter(name="reconciler").exists()
