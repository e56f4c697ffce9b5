"""Advisors, team leads, branch managers and compliance may view reports (core/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # crm 0008 (security admin) completes the groups


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("crm", "0007_share_cleanup_schedule")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
