"""The outbox: work a committed transaction owes the broker, sent after commit and swept up
when the broker never took it.

A row is claimed with a conditional UPDATE before it is sent, so two publishers never send
it at the same time; "sent" is delivery only, the row is done when its work is.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cancerfax.tasking import publish
from navigation.models import Case, Outbox

logger = logging.getLogger(__name__)

# How long a publisher holds an outbox row before another may try it again.
OUTBOX_LEASE = timedelta(minutes=2)


def outbox_add_claimed(*, case: Case, kind: str) -> Outbox:
    """Add a row for the caller's transaction, sent to the broker after its commit.

    The row is born claimed by this request, in the submission's own transaction: no other
    publisher can take it, so after commit the task goes to the broker with no statement
    first. Should this process die before it publishes, the lease runs out and the sweeper
    sends the row.
    """
    outbox = Outbox.objects.create(
        kind=kind,
        case=case,
        claimed_until=timezone.now() + OUTBOX_LEASE,
        attempts=1,
    )
    # Robust: a database that fails right after the commit must not turn the patient's
    # stored submission into an error; the reconciler sends the row.
    transaction.on_commit(lambda: _outbox_send(outbox=outbox), robust=True)
    return outbox


def outbox_publish(
    *, outbox: Outbox, now: datetime | None = None, sent_before: datetime | None = None
) -> bool:
    """Hand one outbox row's task to the broker. True when it was sent by this call.

    The row is claimed first with a conditional UPDATE, so two publishers never send it at
    the same time; a failed send releases the claim and leaves the row for the sweeper. Never
    raises: it runs after commit, inside the patient's request. Only the row's key, kind and
    case are read from `outbox`, and they never change, so the caller's copy is as good as a
    fresh read: the claim is the only statement before the publish.

    A row is claimed when it was never sent, or (`sent_before`, for the reconciler) when it
    was sent before that time and its work is still not done: the broker took it, but it
    never came to anything (a lost broker, a task that gave up).
    """
    now = now or timezone.now()
    rows = Outbox.objects.filter(pk=outbox.pk, done_at__isnull=True)
    rows = rows.filter(sent_at__lt=sent_before) if sent_before else rows.filter(sent_at=None)
    claimed = rows.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(
        claimed_until=now + OUTBOX_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    return _outbox_send(outbox=outbox)


def _outbox_send(*, outbox: Outbox) -> bool:
    """Publish a row this caller has claimed; mark it sent, or release it for the sweeper.

    "Sent" is delivery only: the row is done when its work is (`outbox_done`)."""
    try:
        _publish(kind=outbox.kind, case_id=outbox.case_id)
    except Exception:
        # The broker is unreachable (or refused): keep the row unsent, free for the sweeper.
        logger.warning("outbox %s not sent; the reconciler will retry", outbox.pk, exc_info=True)
        Outbox.objects.filter(pk=outbox.pk, done_at__isnull=True).update(
            sent_at=None, claimed_until=None
        )
        return False
    Outbox.objects.filter(pk=outbox.pk).update(sent_at=timezone.now(), claimed_until=None)
    return True


def _publish(*, kind: str, case_id: int) -> None:
    task = {Outbox.Kind.OPEN_CASE_REVIEW: "navigation.open_case_review"}[kind]
    # One attempt on short timeouts, so a dead or hung Redis costs the patient's request
    # about a second at most; the outbox row keeps the work.
    publish(task, [case_id])


def outbox_done(*, case: Case, kind: str, now: datetime | None = None) -> None:
    """The row's work is recorded: it is done, and no reconciler sends it again. Call it in
    the transaction that records the work."""
    Outbox.objects.filter(case=case, kind=kind, done_at__isnull=True).update(
        done_at=now or timezone.now(), claimed_until=None
    )


def outbox_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send outbox rows the broker never took. Returns how many were sent."""
    now = now or timezone.now()
    pending = (
        Outbox.objects.filter(sent_at__isnull=True, done_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at")
        .only("kind", "case")[:limit]
    )
    return sum(outbox_publish(outbox=outbox, now=now) for outbox in list(pending))
