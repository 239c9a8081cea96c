"""Staff roles. Each role is a group; its permissions follow the apps it may work in.

Coordinators work with patient data (records, navigation) and may read content.
Content editors work on content only and never see patient data.
Clinical reviewers read content and record the clinical review of a page revision (never
their own: content.revisions checks the author); they never see patient data either.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import AbstractBaseUser
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


def _codename_query(names: set[str]):
    from django.db.models import Q

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


def staff_display_name(user: AbstractBaseUser) -> str:
    """How a staff member is named to a patient: their name and role, or their role alone;
    never their sign-in username, which is half of what it takes to sign in as them."""
    role = next(
        (ROLE_TITLES[g.name] for g in user.groups.all() if g.name in ROLE_TITLES),
        _("Member of our staff"),
    )
    full_name = user.get_full_name().strip()
    return f"{full_name} ({role})" if full_name else str(role)
