"""Any save or delete of a page or of one of its parts redraws the sections it shows in,
then makes the cached pages stale.

Signals cover the admin (inline formsets included), the shell and services alike.
QuerySet.update() and bulk_create() send no signals: code that uses them on content must
call section_html_refresh() for the page and then content_cache_invalidate().
"""

from django.apps import apps as installed_apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.db.models.signals import post_delete, post_migrate, post_save

from content.models import ITEM_KINDS, PART_MODELS, InformationPage, PageStatus, Part, Section
from content.services.sections import (
    content_cache_invalidate,
    content_signals_are_muted,
    section_html_refresh,
    section_html_refresh_stale,
)


def _content_changed(sender, instance, using: str = "default", origin=None, **kwargs) -> None:
    if content_signals_are_muted():
        return
    # A page being deleted takes all its sections with it: nothing to redraw.
    if not isinstance(origin, InformationPage):
        kind = (
            instance.kind
            if isinstance(instance, Section)
            else ITEM_KINDS.get(sender._meta.model_name)
        )
        if kind is not None:
            # Before invalidating, so no request can cache the page with the old HTML under
            # the new version.
            section_html_refresh(page_id=instance.page_id, kinds=[kind], using=using)
        if not _shown_to_the_public(instance, using):
            # A draft's changes reach no public page: the cached copies stay good.
            return
    content_cache_invalidate(using=using)


def _shown_to_the_public(instance, using: str) -> bool:
    if isinstance(instance, InformationPage):
        # A draft of a published page is never shown; any other page's status may just
        # have changed either way, so it counts.
        return instance.draft_of_id is None
    return (
        InformationPage.objects.using(using)
        .filter(pk=instance.page_id, status=PageStatus.PUBLISHED)
        .exists()
    )


def _migrated(sender, using: str = "default", apps=None, **kwargs) -> None:
    # Only once the stored-HTML columns exist (migrating backwards stops before them).
    # `flush` sends this signal too, without the migration state: the schema is current.
    try:
        section = (apps or installed_apps).get_model("content", "Section")
        section._meta.get_field("html_fingerprint")
    except (LookupError, FieldDoesNotExist):
        return
    section_html_refresh_stale(using=using)


def connect(app_config) -> None:
    changing: tuple[type[Model], ...] = (InformationPage, Part, *PART_MODELS)
    for model in changing:
        for signal in (post_save, post_delete):
            signal.connect(
                _content_changed, sender=model, dispatch_uid=f"content-cache-{model.__name__}"
            )
    post_migrate.connect(_migrated, sender=app_config, dispatch_uid="content-html-after-migrate")
