"""API tokens moved from DRF's authtoken app to django-rest-knox (core/tokens.py): drop the old
table, whose unhashed keys no longer open anything and whose foreign key to users would block
deleting a user that never acted. Integrations sign in again for a knox token."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_security_admin"), ("knox", "0009_extend_authtoken_field")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token CASCADE", migrations.RunSQL.noop),
        migrations.RunSQL("DELETE FROM django_migrations WHERE app = 'authtoken'", migrations.RunSQL.noop),
    ]
