"""Patients' addresses in their canonical form (records.emails), so the portal can match
them by exact equality. An address with no canonical form (a non-ASCII part before the @,
accepted before) is kept as it was: no sign-in request can equal it, so it opens nothing."""

from django.db import migrations

import records.emails


def canonicalise(apps, schema_editor) -> None:
    Patient = apps.get_model("records", "Patient")
    for patient in Patient.objects.only("pk", "email").iterator(chunk_size=500):
        canonical = records.emails.email_canonical_or_none(patient.email)
        if canonical and canonical != patient.email:
            Patient.objects.filter(pk=patient.pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [("records", "0007_draft_answers")]

    operations = [
        migrations.AlterField(
            model_name="patient",
            name="email",
            field=records.emails.CanonicalEmailField(db_index=True, max_length=254),
        ),
        migrations.RunPython(canonicalise, migrations.RunPython.noop),
    ]
