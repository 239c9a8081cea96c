"""Celery tasks: thin, keyed by primary key, safe to run twice; each calls one service."""

from celery import shared_task

from cancerfax.tasking import ResilientTask
from records.services.audit import audit_chain_anchor
from records.services.drafts import drafts_expire
from records.services.integrity import stored_files_verify
from records.services.scanning import document_scan, documents_rescan_pending
from records.services.uploads import upload_leftovers_remove


@shared_task(name="records.scan_document", base=ResilientTask, ignore_result=True)
def scan_document(document_id: int) -> None:
    """Scan one document; a document that is no longer pending is left alone."""
    document_scan(document_id=document_id)


@shared_task(name="records.rescan_pending_documents", ignore_result=True)
def rescan_pending_documents() -> None:
    """For beat: retry documents that stayed pending because clamd could not be reached."""
    documents_rescan_pending()


@shared_task(name="records.expire_upload_drafts", ignore_result=True)
def expire_upload_drafts() -> None:
    """For beat: drafts never submitted are removed with their files after
    UPLOAD_DRAFT_MAX_AGE_HOURS."""
    drafts_expire()


@shared_task(name="records.clean_upload_temp", ignore_result=True)
def clean_upload_temp() -> None:
    """For beat, where the worker shares the web nodes' FILE_UPLOAD_TEMP_DIR: temporary
    upload files of requests that died (gunicorn's master also removes a killed worker's),
    and resumable uploads not continued in time, with their half-sent bytes."""
    upload_leftovers_remove()


@shared_task(name="records.anchor_audit_chain", ignore_result=True)
def anchor_audit_chain() -> None:
    """For beat, daily: write the audit chain's head outside the database."""
    audit_chain_anchor()


# A daily sweep over every stored file may take longer than the broker's visibility
# timeout: it is acknowledged on receipt (so Redis never hands it to a second worker while it
# runs) and given an hour; if its worker dies, tomorrow's run is the retry.
@shared_task(
    name="records.verify_stored_files", acks_late=False, soft_time_limit=3500, time_limit=3600
)
def verify_stored_files() -> int:
    return len(stored_files_verify())
