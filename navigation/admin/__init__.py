"""The coordinators' admin. Importing the modules registers their model admins."""

from navigation.admin import cases, centres, outbox, review_tasks

__all__ = ["cases", "centres", "outbox", "review_tasks"]
