"""Draw and store the HTML of every existing section, so pages are served from it at once."""

from django.db import migrations


def fill(apps, schema_editor) -> None:
    from content.services.sections import section_html_refresh

    alias = schema_editor.connection.alias
    section = apps.get_model("content", "Section")
    page_ids = section.objects.using(alias).order_by().values_list("page_id", flat=True)
    for page_id in sorted(set(page_ids)):
        section_html_refresh(page_id=page_id, apps=apps, using=alias)


class Migration(migrations.Migration):
    dependencies = [("content", "0003_section_stored_html")]

    # Going back, 0003 drops the columns; nothing to undo here.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
