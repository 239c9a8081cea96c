"""Mail to the coordinators about a document problem (infected, changed, storage full)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from cancerfax.roles import coordinator_addresses
from records.models import Document

logger = logging.getLogger(__name__)


def coordinators_alert(*, document: Document, subject: str, problem: str) -> None:
    """Tell coordinators about a document problem. Only a reference and a link travel:
    no names, no clinical facts."""
    recipients = coordinator_addresses()
    if not recipients:
        logger.warning("document alert with nobody to tell: document=%s", document.public_id)
        return
    link = settings.SITE_URL + reverse("admin:records_document_change", args=[document.pk])
    body = (
        f"{problem}\n\nDocument reference: {document.public_id}\n"
        f"Open it in the admin (sign-in required): {link}\n"
    )
    send_mail(f"{subject} [{document.public_id.hex[:8]}]", body, None, recipients)
