"""The security-admin permission and group (segregation of duties, core/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # crm 0010 (after the nightly app) completes the groups


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_share_cleanup_schedule"),
        ("reports", "0002_roles"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="accesslog",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    (
                        "administer_security",
                        "Can grant privileged roles, reset privileged users' passwords and revoke API tokens",
                    )
                ],
                "verbose_name": "access log entry",
                "verbose_name_plural": "access log",
            },
        ),
        migrations.RunPython(sync, migrations.RunPython.noop),
    ]
