"""Celery tasks: thin, take primary keys, call a service. All safe to run twice.

Services never import this module: they queue work by the task's registered name
(`cancerfax.tasking.enqueue` / `publish`).
"""

from celery import shared_task

from cancerfax.tasking import ResilientTask
from navigation.services import portal, privacy, reconcile, review, summary
from navigation.services.outbox import outbox_sweep


@shared_task(name="navigation.open_case_review", base=ResilientTask)
def open_case_review(case_id: int) -> None:
    review.case_review_open(case_id=case_id)


@shared_task(name="navigation.sweep_outbox")
def sweep_outbox() -> int:
    return outbox_sweep()


@shared_task(name="navigation.reconcile_reviews")
def reconcile_reviews() -> int:
    """For beat. Not retried: the next run, a minute later, is the retry."""
    return reconcile.reviews_reconcile().total


@shared_task(name="navigation.remind_overdue_reviews")
def remind_overdue_reviews() -> int:
    return review.review_tasks_remind()


@shared_task(name="navigation.rescreen_open_cases")
def rescreen_open_cases() -> int:
    return review.cases_rescreen()


@shared_task(name="navigation.build_oncology_summary", base=ResilientTask)
def build_oncology_summary(case_id: int) -> None:
    summary.summary_build(case_id=case_id)


@shared_task(name="navigation.rebuild_stale_summaries")
def rebuild_stale_summaries() -> int:
    return summary.summaries_rebuild_stale()


@shared_task(name="navigation.refresh_missing_records")
def refresh_missing_records() -> int:
    return review.cases_missing_records_refresh()


@shared_task(name="navigation.send_portal_signin_link", base=ResilientTask)
def send_portal_signin_link(request_id: int) -> bool:
    return portal.portal_signin_request_handle(request_id=request_id)


@shared_task(name="navigation.purge_portal_links")
def purge_portal_links() -> int:
    return portal.portal_links_purge()


@shared_task(name="navigation.purge_expired_cases")
def purge_expired_cases() -> int:
    return privacy.cases_purge_expired()
