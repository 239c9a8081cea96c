"""What anonymous uploads may take of private storage.

Three limits, so that nobody can fill the disk with drafts they never submit:
- a byte budget per client address (`UPLOAD_CLIENT_BYTES_PER_HOUR`), counted by the site's
  one rate limiter while each file streams, so a large file stops within a chunk
  (`records.uploads`);
- a quota on what all unsubmitted drafts hold together (`UPLOAD_DRAFTS_MAX_BYTES`): when it
  is reached, new files into drafts are refused and the coordinators are told, once;
- drafts nobody submits are removed after `UPLOAD_DRAFT_MAX_AGE_HOURS`
  (`records.services.drafts`).
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from cancerfax.roles import coordinator_addresses
from records.selectors import drafts_bytes

logger = logging.getLogger(__name__)

DRAFTS_FULL_ALERTED = "records:drafts-quota-alerted"
DRAFTS_FULL_ALERT_EVERY = 24 * 3600


def drafts_full(*, adding: int) -> bool:
    """True when `adding` more bytes would take unsubmitted drafts past their quota; the
    coordinators are told the first time (then at most once a day while it lasts)."""
    if drafts_bytes() + adding <= settings.UPLOAD_DRAFTS_MAX_BYTES:
        return False
    _alert_coordinators_once()
    return True


def drafts_full_message() -> str:
    return _(
        "We can't take new documents with a submission right now because we are receiving "
        "unusually many. You can still send your answers now and add documents later from "
        "your case page, or try again in a few hours."
    )


def _alert_coordinators_once() -> None:
    try:
        first = cache.add(DRAFTS_FULL_ALERTED, 1, timeout=DRAFTS_FULL_ALERT_EVERY)
    except Exception as exc:  # noqa: BLE001 - cache down: better one mail too many than none
        logger.warning("drafts quota alert not deduplicated: %s", type(exc).__name__)
        first = True
    if not first:
        return
    logger.warning("upload drafts quota reached: new draft uploads refused")
    recipients = coordinator_addresses()
    if not recipients:
        return
    try:
        send_mail(
            "Upload storage for unsubmitted forms is full",
            "Files not yet submitted with a form now fill the space set aside for them "
            f"(UPLOAD_DRAFTS_MAX_BYTES = {settings.UPLOAD_DRAFTS_MAX_BYTES} bytes), so the "
            "intake refuses new documents until drafts are submitted or expire "
            f"(after {settings.UPLOAD_DRAFT_MAX_AGE_HOURS} hours). Patients can still "
            "send their answers. This may be an attempt to fill the storage; please check.\n",
            None,
            recipients,
        )
    except Exception:
        logger.exception("could not mail the drafts quota alert")
