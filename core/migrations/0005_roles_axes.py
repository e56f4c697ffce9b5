"""Give operations the sign-in lockout permissions (core/roles.py): view and delete axes'
access attempts, which is how a locked-out user is unlocked before the cool-off ends."""

from django.db import migrations


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_default_reference_data"),
        # The lead's access-log migration shares the number; depending on it keeps one leaf.
        ("crm", "0004_access_log"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
