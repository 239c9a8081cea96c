from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NavigationConfig(AppConfig):
    name = "navigation"

    def ready(self) -> None:
        from navigation.roles import sync_role_permissions

        # navigation is the last app migrated, so every permission exists by then.
        post_migrate.connect(
            sync_role_permissions, sender=self, dispatch_uid="navigation.sync_roles"
        )
