"""Create the five roles with their model permissions (see core/roles.py)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("advisors", "0002_initial"),
        ("clients", "0002_initial"),
        ("products", "0001_initial"),
        ("suitability", "0001_initial"),
        ("campaigns", "0002_initial"),
        ("tickets", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
