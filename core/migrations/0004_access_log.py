"""The access log, and the database's refusal to change or delete log rows.

On PostgreSQL a trigger refuses UPDATE and DELETE on the access log and on django-auditlog's
change log for every role the application connects as, so neither the admin, a bug nor a
shell session can rewrite history. (TRUNCATE needs the table owner's rights and is left to
the DBA.) SQLite is for development and gets no trigger.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


APPEND_ONLY_TABLES = ("crm_accesslog", "auditlog_logentry")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION crm_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def protect_logs(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION crm_refuse_log_change()"
        )


def unprotect_logs(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS crm_refuse_log_change()")


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0004_drop_fk_indexes_covered_by_composites'),
        ('crm', '0003_default_reference_data'),
        ("auditlog", "0017_add_actor_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='recorded at')),
                ('action', models.CharField(choices=[('view_client', 'Viewed a client'), ('reveal_pii', 'Revealed personal data'), ('export', 'Exported a list')], max_length=16, verbose_name='action')),
                ('fields', models.JSONField(blank=True, default=list, verbose_name='fields')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('rows', models.PositiveIntegerField(blank=True, null=True, verbose_name='rows exported')),
                ('path', models.CharField(blank=True, max_length=500, verbose_name='page or endpoint')),
                ('source', models.CharField(blank=True, max_length=8, verbose_name='source')),
                ('remote_addr', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('client', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clients.client', verbose_name='client')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'access log entry',
                'verbose_name_plural': 'access log',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['client', '-created_at'], name='accesslog_client_when'), models.Index(fields=['user', '-created_at'], name='accesslog_user_when'), models.Index(fields=['action', '-created_at'], name='accesslog_action_when')],
            },
        ),
        migrations.RunPython(protect_logs, unprotect_logs),
    ]
