"""Celery tasks: thin, take primary keys, call a service. All safe to run twice."""

from celery import shared_task

from cancerfax.tasking import ResilientTask


@shared_task(name="navigation.open_case_review", base=ResilientTask)
def open_case_review(case_id: int) -> None:
    from navigation.review import case_review_open

    case_review_open(case_id=case_id)


@shared_task(name="navigation.sweep_outbox")
def sweep_outbox() -> int:
    from navigation.services import outbox_sweep

    return outbox_sweep()


@shared_task(name="navigation.reconcile_reviews")
def reconcile_reviews() -> int:
    """For beat. Not retried: the next run, a minute later, is the retry."""
    from navigation.reconcile import reviews_reconcile

    return reviews_reconcile().total


@shared_task(name="navigation.remind_overdue_reviews")
def remind_overdue_reviews() -> int:
    from navigation.review import review_tasks_remind

    return review_tasks_remind()


@shared_task(name="navigation.rescreen_open_cases")
def rescreen_open_cases() -> int:
    from navigation.review import cases_rescreen

    return cases_rescreen()


@shared_task(name="navigation.build_oncology_summary", base=ResilientTask)
def build_oncology_summary(case_id: int) -> None:
    from navigation.summary import summary_build

    summary_build(case_id=case_id)


@shared_task(name="navigation.rebuild_stale_summaries")
def rebuild_stale_summaries() -> int:
    from navigation.summary import summaries_rebuild_stale

    return summaries_rebuild_stale()


@shared_task(name="navigation.refresh_missing_records")
def refresh_missing_records() -> int:
    from navigation.review import cases_missing_records_refresh

    return cases_missing_records_refresh()


@shared_task(name="navigation.send_portal_signin_link", base=ResilientTask)
def send_portal_signin_link(request_id: int) -> bool:
    from navigation.portal import portal_signin_request_handle

    return portal_signin_request_handle(request_id=request_id)


@shared_task(name="navigation.purge_portal_links")
def purge_portal_links() -> int:
    from navigation.portal import portal_links_purge

    return portal_links_purge()
