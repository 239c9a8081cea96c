"""The trigram index behind the coordinators' search by name, on PostgreSQL only.

SQLite (development) has neither pg_trgm nor GIN: there the search falls back to a substring
match, and these operations change only the migration state. pg_trgm is a trusted extension
(PostgreSQL 13+), so the database owner that runs migrations may create it.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class AddIndexOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0011_document_encryption_keys"),
    ]

    operations = [
        # Does nothing on other databases.
        TrigramExtension(),
        AddIndexOnPostgres(
            model_name="patient",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass("full_name", name="gin_trgm_ops"),
                name="patient_full_name_trgm",
            ),
        ),
    ]
