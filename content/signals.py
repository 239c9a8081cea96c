"""Any save or delete of a page or of one of its parts makes the cached pages stale.

Signals cover the admin, the shell and services alike. QuerySet.update() and bulk_create()
send no signals: code that uses them on content must call content_cache_invalidate().
"""

from django.db.models.signals import post_delete, post_save

from content.models import PART_MODELS, InformationPage, Part
from content.services import content_cache_invalidate


def _content_changed(sender, using: str = "default", **kwargs) -> None:
    content_cache_invalidate(using=using)


def connect() -> None:
    for model in (InformationPage, Part, *PART_MODELS):
        for signal in (post_save, post_delete):
            signal.connect(
                _content_changed, sender=model, dispatch_uid=f"content-cache-{model.__name__}"
            )
