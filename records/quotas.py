"""What anonymous uploads may take of private storage.

Three limits, so that nobody can fill the disk with drafts they never submit:
- a byte budget per client address (`UPLOAD_CLIENT_BYTES_PER_HOUR`), counted by the site's
  one rate limiter while each file streams, so a large file stops within a chunk;
- a quota on what all unsubmitted drafts hold together (`UPLOAD_DRAFTS_MAX_BYTES`): when it
  is reached, new files into drafts are refused and the coordinators are told, once;
- drafts nobody submits are removed after `UPLOAD_DRAFT_MAX_AGE_HOURS` (services.drafts_expire).
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Sum
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cancerfax.roles import coordinator_addresses
from cancerfax.security import rate_limited

logger = logging.getLogger(__name__)

CLIENT_BYTES_SCOPE = "upload-bytes"
CLIENT_BYTES_PERIOD = 3600
DRAFTS_FULL_ALERTED = "records:drafts-quota-alerted"
DRAFTS_FULL_ALERT_EVERY = 24 * 3600


def counts_client_bytes(request: HttpRequest | None) -> bool:
    """Staff uploading for a patient are not limited; everyone else is, by address."""
    if request is None:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated and user.is_staff)


def client_bytes_spent(request: HttpRequest, *, adding: int) -> bool:
    """Count `adding` bytes against this client's hourly budget; True once it is spent
    (`adding=0` only asks)."""
    return rate_limited(
        request,
        scope=CLIENT_BYTES_SCOPE,
        limit=settings.UPLOAD_CLIENT_BYTES_PER_HOUR,
        period=CLIENT_BYTES_PERIOD,
        cost=adding,
    )


def client_bytes_message() -> str:
    return _(
        "You have sent a lot of data from this connection in the last hour, so we can't "
        "take more right now. Please try again in an hour; your answers and the files "
        "already received are kept."
    )


def drafts_bytes() -> int:
    """What all drafts not yet submitted hold in private storage."""
    from records.models import Document

    total = Document.objects.filter(patient__isnull=True, draft__isnull=False).aggregate(
        size=Sum("size")
    )["size"]
    return total or 0


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
