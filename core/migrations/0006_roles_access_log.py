"""Compliance and operations read the access log and client shares (core/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # the reports permission arrives with reports/0002_roles


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_roles_axes")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
