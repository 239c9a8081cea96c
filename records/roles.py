"""The database role the app runs as: it does not own the tables, so it cannot disable a
trigger, truncate or alter one; on the audit trail it may only INSERT and SELECT.

The owner role runs `migrate`; after every migrate (and so also when the test database is
built) the grants below are (re)applied to `DATABASE_APP_ROLE`, covering tables added since.
"""

from django.conf import settings
from django.db import connections

AUDIT_TABLE = "records_auditevent"


def app_role_grant_sql(role: str) -> list[str]:
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE ALL ON {AUDIT_TABLE} FROM {quoted}",
        f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {quoted}",
    ]


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
        for statement in app_role_grant_sql(role):
            cursor.execute(statement)
