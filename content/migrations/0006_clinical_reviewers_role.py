from django.db import migrations


def create_role(apps, schema_editor):
    # Its permissions are given after every migrate (cancerfax.roles.sync_role_permissions).
    apps.get_model("auth", "Group").objects.get_or_create(name="Clinical reviewers")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("content", "0005_page_drafts_and_revisions"),
    ]

    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
