"""Roles: the staff groups and what each may do, and the database role the app runs as.

Staff roles. Each role is a group; its permissions follow the apps it may work in.
Coordinators work with patient data (records, navigation) and may read content.
Content editors work on content only and never see patient data.
Clinical reviewers read content and record the clinical review of a page revision (never
their own: content.services.revisions checks the author); they never see patient data either.
The group names are written out as strings in the migrations that first created the groups
(navigation 0001, content 0006): a migration must not depend on today's module.

The database role. The app runs as a role that does not own the tables, so it cannot disable
a trigger, truncate or alter one; on an append-only table (a model with `append_only = True`,
the audit trail) it may only INSERT and SELECT. The owner role runs `migrate`; after every
migrate (and so also when the test database is built) the grants are (re)applied to
`DATABASE_APP_ROLE`, covering tables added since.
"""

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

COORDINATORS = "Coordinators"
CONTENT_EDITORS = "Content editors"
CLINICAL_REVIEWERS = "Clinical reviewers"
REVIEW_PERMISSION = "content.review_pagerevision"

# How a role is named to patients.
ROLE_TITLES = {COORDINATORS: _("Coordinator"), CONTENT_EDITORS: _("Content editor")}

# role -> {app label: "all" | "view"}
ROLE_APPS: dict[str, dict[str, str]] = {
    COORDINATORS: {"records": "all", "navigation": "all", "content": "view"},
    CONTENT_EDITORS: {"content": "all"},
    CLINICAL_REVIEWERS: {"content": "view"},
}
# Single permissions ("app.codename") a role has beyond its apps' ones, or without them:
# reviewing is the reviewers' alone, so an editor's "all" does not include it.
ROLE_GRANTS: dict[str, set[str]] = {CLINICAL_REVIEWERS: {REVIEW_PERMISSION}}
ROLE_WITHHOLDS: dict[str, set[str]] = {CONTENT_EDITORS: {REVIEW_PERMISSION}}


def _codename_query(names: set[str]) -> Q:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def sync_role_permissions(apps=global_apps, **kwargs) -> None:
    """Create the role groups and give each exactly its apps' permissions.

    Runs after every migrate, so models added later get their permissions too.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, app_access in ROLE_APPS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, access in app_access.items():
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if access == "view":
                perms = perms.filter(codename__startswith="view_")
            if role in ROLE_WITHHOLDS:
                perms = perms.exclude(_codename_query(ROLE_WITHHOLDS[role]))
            wanted.extend(perms)
        if role in ROLE_GRANTS:
            wanted.extend(Permission.objects.filter(_codename_query(ROLE_GRANTS[role])))
        group.permissions.set(wanted)


def staff_member(request: HttpRequest) -> User:
    """The staff member making this request, for the services that record who acted.
    Staff pages are reached only signed in (the admin site and the staff views see to it);
    one reached otherwise is refused rather than its work recorded as nobody's."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def staff_display_name(user: User) -> str:
    """How a staff member is named to a patient: their name and role, or their role alone;
    never their sign-in username, which is half of what it takes to sign in as them."""
    role = next(
        (ROLE_TITLES[g.name] for g in user.groups.all() if g.name in ROLE_TITLES),
        _("Member of our staff"),
    )
    full_name = user.get_full_name().strip()
    return f"{full_name} ({role})" if full_name else str(role)


def coordinators() -> QuerySet:
    """The coordinators: active staff members of the Coordinators group."""
    users = get_user_model().objects
    return users.filter(is_active=True, is_staff=True, groups__name=COORDINATORS)


def coordinator_addresses() -> list[str]:
    """Who receives coordinator mail: every coordinator with an email address, plus the
    configured team addresses (`COORDINATOR_EMAILS`), each once, sorted.

    One rule for every coordinator mail (a new review, an overdue one with no assignee, a
    document problem, a full upload area, a withdrawal or an erasure request): a coordinator
    who left the group or was deactivated stops receiving patients' case references.
    """
    people = coordinators().exclude(email="").values_list("email", flat=True)
    return sorted({*people, *settings.COORDINATOR_EMAILS})


# --- the database role the app runs as ------------------------------------------------


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def app_role_grant_sql(role: str, *, append_only: list[str]) -> list[str]:
    quoted = _quoted(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]
    for table in append_only:
        statements += [
            f"REVOKE ALL ON {_quoted(table)} FROM {quoted}",
            f"GRANT SELECT, INSERT ON {_quoted(table)} TO {quoted}",
        ]
    return statements


def append_only_tables() -> list[str]:
    """The tables of the models that declare `append_only = True`."""
    return sorted(
        model._meta.db_table
        for model in global_apps.get_models()
        if getattr(model, "append_only", False) is True
    )


def app_role_grant(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: give the app role its privileges (PostgreSQL, when one is named)."""
    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return
        for statement in app_role_grant_sql(role, append_only=append_only_tables()):
            cursor.execute(statement)
