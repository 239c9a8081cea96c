"""The content admin: the pages with their parts, and the pages' revisions."""

from content.admin import pages, revisions  # noqa: F401 (registers each module's admin)
