"""Operations read the nightly runs' records in the admin (core/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # crm 0011 (thresholds) completes the groups


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_drop_drf_tokens"), ("nightly", "0005_activity_facts")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
