"""The outbox: a submission is never lost when the broker is down, and never reviewed twice.

The live tests run against the real Redis broker and a live Celery worker (`live_worker`);
the worker sends its mail to its own backend, so they assert through the database: the review
task's `notified_at` is set in the same transaction that sends the coordinators' email.
"""

from datetime import date, timedelta

import pytest
from celery.signals import before_task_publish
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Count
from django.utils import timezone

from cancerfax.celery import app as celery_app
from cancerfax.tasks import worker_heartbeat
from navigation.models import Case, Outbox, ReviewTask
from navigation.services.cases import case_open
from navigation.services.outbox import OUTBOX_LEASE, outbox_publish, outbox_sweep
from navigation.tasks import open_case_review
from records.consent import CONSENT_VERSION
from records.services.patients import patient_submit
from tests.conftest import wait_for
from tests.navigation.factories import make_patient

DEAD_BROKER = "redis://127.0.0.1:1/0"


def submit(n: int) -> Case:
    """A submission as the intake saves it: patient, profile, consent and case in one go."""
    with transaction.atomic():
        patient = patient_submit(
            contact={
                "full_name": f"Outbox Patient {n}",
                "date_of_birth": date(1961, 2, 3),
                "relationship": "self",
                "email": f"outbox{n}@example.net",
                "phone": "+442071234567",
                "country": "United Kingdom",
            },
            profile={
                "stage": "III",
                "gastrectomy": "d2",
                "curative_intent": True,
                "metastatic": False,
            },
            consent_version=CONSENT_VERSION,
            draft=None,
        )
        return case_open(patient=patient)


@pytest.fixture
def broker_down(settings):
    """Publishing goes to an address where nothing listens, as when Redis is down."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = DEAD_BROKER
    yield
    celery_app.conf.task_always_eager = eager


@pytest.mark.django_db
def test_with_the_broker_down_the_submission_is_saved_and_the_row_left_for_the_sweeper(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(patient=make_patient())
    outbox = Outbox.objects.get(case=case)
    assert outbox.sent_at is None
    assert outbox.attempts == 1
    assert outbox.claimed_until is None  # released at once for the sweeper
    assert not ReviewTask.objects.exists()


@pytest.mark.django_db
def test_a_row_claimed_by_another_publisher_is_left_alone_until_its_lease_ends(coordinator):
    case = Case.objects.create(patient=make_patient())
    now = timezone.now()
    outbox = Outbox.objects.create(
        kind=Outbox.Kind.OPEN_CASE_REVIEW, case=case, claimed_until=now + OUTBOX_LEASE
    )
    assert outbox_publish(outbox=outbox, now=now) is False
    assert outbox_sweep(now=now) == 0
    outbox.refresh_from_db()
    assert outbox.attempts == 0 and outbox.sent_at is None
    # The other publisher died: after its lease the sweeper takes the row.
    assert outbox_sweep(now=now + OUTBOX_LEASE + timedelta(seconds=1)) == 1
    outbox.refresh_from_db()
    assert outbox.sent_at is not None
    assert ReviewTask.objects.filter(case=case).count() == 1


def case_visible_elsewhere(case_id: int) -> bool:
    """Whether another connection (a worker's) can read the case: it is committed."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT 1 FROM navigation_case WHERE id = %s", [case_id])
            return cursor.fetchone() is not None
    finally:
        other.close()


@pytest.fixture
def published():
    """The review tasks handed to the broker, each with whether its case was committed by
    then (a worker reading it before the commit would find nothing)."""
    seen: list[tuple[int, bool]] = []

    def record(sender=None, body=None, **kwargs) -> None:
        if sender == "navigation.open_case_review":
            case_id = body[0][0]
            seen.append((case_id, case_visible_elsewhere(case_id)))

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)


@pytest.mark.worker
@pytest.mark.redis
def test_a_new_case_is_handed_to_the_broker_once_its_transaction_has_committed(
    live_worker, published
):
    with transaction.atomic():
        case = case_open(patient=make_patient())
        assert published == []  # nothing leaves while the submission can still roll back
    assert published == [(case.pk, True)]
    outbox = Outbox.objects.get(case=case)
    assert outbox.sent_at is not None and outbox.attempts == 1
    wait_for(lambda: ReviewTask.objects.filter(case=case).exists(), 60)


class Refused(Exception):
    pass


@pytest.mark.worker
@pytest.mark.redis
def test_a_submission_that_rolls_back_sends_nothing_to_the_broker(live_worker, published):
    patient = make_patient()
    with pytest.raises(Refused), transaction.atomic():
        case_open(patient=patient)
        raise Refused
    assert published == []
    assert not Case.objects.filter(patient=patient).exists()
    assert not Outbox.objects.exists()


@pytest.mark.worker
@pytest.mark.redis
def test_the_sweeper_sends_each_unsent_row_once_and_each_case_is_reviewed(live_worker, published):
    cases = [Case.objects.create(patient=make_patient()) for _ in range(2)]
    for case in cases:
        Outbox.objects.create(kind=Outbox.Kind.OPEN_CASE_REVIEW, case=case)
    # The second row goes out through the same pooled producer as the first.
    assert outbox_sweep() == 2
    assert outbox_sweep() == 0
    assert sorted(case_id for case_id, _committed in published) == sorted(c.pk for c in cases)
    assert not Outbox.objects.filter(sent_at__isnull=True).exists()
    wait_for(lambda: ReviewTask.objects.filter(case__in=cases).count() == 2, 60)


@pytest.mark.django_db
def test_a_new_row_is_left_to_its_request_and_swept_only_if_that_request_never_sends_it(
    coordinator, django_capture_on_commit_callbacks
):
    # The request that opened the case died after commit, before its publish ran.
    with django_capture_on_commit_callbacks(execute=False):
        case = case_open(patient=make_patient())
    outbox = Outbox.objects.get(case=case)
    assert outbox.claimed_until is not None and outbox.sent_at is None
    assert outbox_sweep() == 0
    assert outbox_sweep(now=timezone.now() + OUTBOX_LEASE + timedelta(seconds=1)) == 1
    outbox.refresh_from_db()
    assert outbox.sent_at is not None and outbox.attempts == 2
    assert ReviewTask.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_a_sent_row_is_never_sent_again(coordinator):
    case = Case.objects.create(patient=make_patient())
    outbox = Outbox.objects.create(kind=Outbox.Kind.OPEN_CASE_REVIEW, case=case)
    assert outbox_publish(outbox=outbox) is True
    assert outbox_publish(outbox=outbox) is False
    assert outbox_sweep() == 0
    assert Outbox.objects.get(pk=outbox.pk).attempts == 1


def _drain(live_worker: str, unique: str) -> None:
    """Wait until the single-process worker has worked through everything queued before."""
    from django.core.cache import cache

    worker_heartbeat.delay(unique)
    wait_for(lambda: cache.get(f"worker-heartbeat:{unique}"), timeout=60)


@pytest.mark.worker
@pytest.mark.redis
def test_a_submission_leads_to_one_review_task_and_one_coordinator_email(
    live_worker, coordinator, unique
):
    case = submit(1)
    task = wait_for(
        lambda: ReviewTask.objects.filter(case=case, notified_at__isnull=False).first(),
        timeout=60,
    )
    assert Outbox.objects.get(case=case).sent_at is not None
    case.refresh_from_db()
    assert case.prescreen_outcome == "good"
    assert task.assignee == coordinator

    # Running the task again changes nothing.
    open_case_review.delay(case.pk)
    open_case_review.delay(case.pk)
    _drain(live_worker, unique)
    assert ReviewTask.objects.filter(case=case).count() == 1
    assert ReviewTask.objects.get(case=case).notified_at == task.notified_at
    assert case.events.filter(note__startswith="Pre-screen run").count() == 1


@pytest.mark.worker
@pytest.mark.redis
def test_twenty_submissions_with_the_broker_down_all_get_one_review_after_the_sweeper(
    live_worker, coordinator, settings, unique
):
    real_broker = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = DEAD_BROKER
    cases = [submit(n) for n in range(20)]
    assert Case.objects.count() == 20
    assert Outbox.objects.filter(sent_at__isnull=True).count() == 20
    assert not ReviewTask.objects.exists()

    settings.CELERY_BROKER_URL = real_broker
    assert outbox_sweep() == 20
    assert outbox_sweep() == 0  # nothing is sent twice
    wait_for(lambda: ReviewTask.objects.filter(notified_at__isnull=False).count() == 20, 90)
    _drain(live_worker, unique)
    per_case = ReviewTask.objects.values("case").annotate(n=Count("pk"))
    assert sorted(row["case"] for row in per_case) == sorted(case.pk for case in cases)
    assert {row["n"] for row in per_case} == {1}
    assert not Outbox.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_never_send_the_same_row(postgres, monkeypatch):
    import threading

    from django.db import connection as default_connection

    from navigation.services import outbox

    cases = [Case.objects.create(patient=make_patient()) for _ in range(12)]
    for case in cases:
        Outbox.objects.create(kind=Outbox.Kind.OPEN_CASE_REVIEW, case=case)
    sent: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def record(*, kind: str, case_id: int) -> None:
        with lock:
            sent.append(case_id)

    monkeypatch.setattr(outbox, "_publish", record)

    def sweeper() -> None:
        start.wait()
        try:
            outbox_sweep()
        finally:
            default_connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == sorted(case.pk for case in cases)
    assert not Outbox.objects.filter(sent_at__isnull=True).exists()
