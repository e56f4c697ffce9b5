"""Operations read the nightly runs' records and the churn models in the admin (crm/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from crm.roles import sync_roles

    sync_roles(apps)  # the newest sync: every permission of the table exists by now


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_drop_drf_tokens"), ("nightly", "0005_activity_facts")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
