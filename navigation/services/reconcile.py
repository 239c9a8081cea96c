"""The reconciler: every acknowledged submission gets its review, whatever was lost on the way.

The outbox says what was handed to the broker; it cannot see a broker that lost its data, a
task that gave up during a database outage, or a row that is simply wrong. So the
reconciler checks the effect itself, after a grace period that a healthy queue never needs:

1. an open case without a review task, whose outbox row is missing or says done, gets its
   row back as unsent;
2. a row sent but not done is sent again (the task is idempotent: a late original and the
   re-send make one review between them);
3. a row never sent is sent;
4. a review task whose coordinators were never told is notified.

Run by beat every RECONCILE_INTERVAL_SECONDS (`navigation.reconcile_reviews`) and by hand or
cron with `manage.py reconcile_reviews`, which needs no broker for steps 1 and 4.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cancerfax.tasking import heartbeat
from navigation.models import Case, Outbox, ReviewTask
from navigation.services.outbox import outbox_publish, outbox_sweep
from navigation.services.review import review_task_notify

logger = logging.getLogger(__name__)

KIND = Outbox.Kind.OPEN_CASE_REVIEW
KIND_TASK = ReviewTask.Kind.INITIAL_REVIEW


@dataclass(frozen=True)
class Reconciled:
    requeued: int = 0
    resent: int = 0
    sent: int = 0
    notified: int = 0

    @property
    def total(self) -> int:
        return self.requeued + self.resent + self.sent + self.notified


def reviews_reconcile(
    *, now: datetime | None = None, grace: timedelta | None = None, limit: int = 500
) -> Reconciled:
    now = now or timezone.now()
    if grace is None:
        grace = timedelta(seconds=settings.RECONCILE_GRACE_SECONDS)
    cutoff = now - grace

    orphans = (
        Case.objects.open()
        .filter(created_at__lt=cutoff)
        .exclude(Exists(ReviewTask.objects.filter(case=OuterRef("pk"), kind=KIND_TASK)))
        .exclude(
            Exists(Outbox.objects.filter(case=OuterRef("pk"), kind=KIND, done_at__isnull=True))
        )
        .values_list("pk", flat=True)[:limit]
    )
    requeued = 0
    for case_id in list(orphans):
        Outbox.objects.update_or_create(
            case_id=case_id,
            kind=KIND,
            defaults={"sent_at": None, "done_at": None, "claimed_until": None},
        )
        logger.warning("case %s had no review and nothing pending: queued again", case_id)
        requeued += 1

    stale = (
        Outbox.objects.filter(done_at__isnull=True, sent_at__lt=cutoff)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("sent_at")
        .only("kind", "case")[:limit]
    )
    resent = 0
    for outbox in list(stale):
        if outbox_publish(outbox=outbox, now=now, sent_before=cutoff):
            logger.warning("outbox %s sent but not done: sent again", outbox.pk)
            resent += 1

    sent = outbox_sweep(now=now, limit=limit)

    unnotified = ReviewTask.objects.filter(
        notified_at__isnull=True, done_at__isnull=True, created_at__lt=cutoff
    ).values_list("pk", flat=True)[:limit]
    notified = sum(review_task_notify(task_id=pk, now=now) for pk in list(unnotified))

    result = Reconciled(requeued=requeued, resent=resent, sent=sent, notified=notified)
    if result.total:
        logger.info("reconciler: %s", result)
    heartbeat("reconciler")
    return result
