"""Staff roles. Each role is a group; its permissions follow the apps it may work in.

Coordinators work with patient data (records, navigation) and may read content.
Content editors work on content only and never see patient data.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

COORDINATORS = "Coordinators"
CONTENT_EDITORS = "Content editors"

# How a role is named to patients.
ROLE_TITLES = {COORDINATORS: _("Coordinator"), CONTENT_EDITORS: _("Content editor")}

# role -> {app label: "all" | "view"}
ROLE_APPS: dict[str, dict[str, str]] = {
    COORDINATORS: {"records": "all", "navigation": "all", "content": "view"},
    CONTENT_EDITORS: {"content": "all"},
}


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
            wanted.extend(perms)
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
