from django.db import migrations, models


def fix_running_periods(apps, schema_editor):
    """Checks made before this field owe their period from the hours in force now (the stored row,
    else the default 24): from here on no later change of the threshold moves them."""
    threshold = apps.get_model("crm", "Threshold")
    stored = threshold.objects.filter(key="consideration_hours").values_list("value", flat=True).first()
    hours = int(stored) if stored and stored.strip().isdigit() else 24
    schema_editor.execute(
        "UPDATE suitability_suitabilitycheck SET consideration_ends_at = created_at + %s * INTERVAL '1 hour' "
        "WHERE consideration_ends_at IS NULL AND requires @> '[\"consideration_period\"]'::jsonb",
        [hours],
    )


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0011_thresholds'),
        ('suitability', '0003_default_questionnaire'),
    ]

    operations = [
        migrations.AddField(
            model_name='suitabilitycheck',
            name='consideration_ends_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='consideration period ends'),
        ),
        migrations.RunPython(fix_running_periods, migrations.RunPython.noop),
    ]
