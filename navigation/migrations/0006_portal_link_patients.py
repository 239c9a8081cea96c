"""Sign-in links bound to the patients found when they were issued; pending sign-in
requests in the canonical address form the portal now matches exactly."""

from django.db import migrations, models

import records.emails


def canonicalise(apps, schema_editor) -> None:
    for name in ("PortalSignInRequest", "PortalToken"):
        model = apps.get_model("navigation", name)
        for row in model.objects.exclude(email="").only("pk", "email").iterator():
            canonical = records.emails.email_canonical_or_none(row.email)
            if canonical and canonical != row.email:
                model.objects.filter(pk=row.pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("navigation", "0005_outbox_done"),
        ("records", "0008_canonical_patient_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="portaltoken",
            name="patients",
            field=models.ManyToManyField(blank=True, related_name="+", to="records.patient"),
        ),
        migrations.RunPython(canonicalise, migrations.RunPython.noop),
    ]
