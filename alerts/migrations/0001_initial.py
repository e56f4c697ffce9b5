import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep the content type row (and with it the permissions groups hold, and the change log's
    references): it is renamed from advisors.alert to alerts.alert, not re-created."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="advisors", model="alert").update(app_label="alerts")


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="alerts", model="alert").update(app_label="advisors")


class Migration(migrations.Migration):
    """Alert moves from advisors to its own app. The table keeps its name (advisors_alert), so
    this changes Django's picture of the models and the content type only: no data moves."""

    initial = True

    dependencies = [
        ('advisors', '0003_admin_sort_indexes'),
        ('clients', '0014_alter_client_financial_assets'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Alert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('kind', models.CharField(choices=[('churn_risk', 'Churn risk'), ('maturity', 'Product maturity'), ('risk_profile_expiring', 'Risk profile expiring'), ('suitability_drift', 'Suitability drift'), ('large_outflow', 'Large outflow'), ('dormant', 'Dormant client'), ('tier_change', 'Tier change'), ('contact_due', 'Contact due'), ('birthday', 'Birthday'), ('ticket_sla', 'Ticket SLA')], max_length=24, verbose_name='kind')),
                        ('severity', models.CharField(choices=[('info', 'Info'), ('warning', 'Warning'), ('critical', 'Critical')], default='info', max_length=8, verbose_name='severity')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('dismissed', 'Dismissed'), ('snoozed', 'Snoozed')], default='open', max_length=10, verbose_name='status')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('due_on', models.DateField(verbose_name='due on')),
                        ('snoozed_until', models.DateField(blank=True, null=True, verbose_name='snoozed until')),
                        ('payload', models.JSONField(blank=True, default=dict, verbose_name='details')),
                        ('dedupe_key', models.CharField(max_length=200, unique=True, verbose_name='dedupe key')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('close_note', models.CharField(blank=True, max_length=500, verbose_name='closing note')),
                        ('advisor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='advisors.advisor', verbose_name='advisor')),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='clients.client', verbose_name='client')),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='closed by')),
                    ],
                    options={
                        'verbose_name': 'alert',
                        'verbose_name_plural': 'alerts',
                        'db_table': 'advisors_alert',
                        'ordering': ['due_on', '-severity'],
                        'indexes': [models.Index(fields=['advisor', 'status', 'due_on'], name='alert_advisor_status_due'), models.Index(fields=['client', 'status'], name='alert_client_status'), models.Index(fields=['kind', 'status', 'due_on'], name='alert_kind_status_due'), models.Index(fields=['due_on'], name='alert_due')],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'snoozed'), _negated=True), ('snoozed_until__isnull', False), _connector='OR'), name='alert_snoozed_has_date', violation_error_message='A snoozed alert needs a date to wake up.')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
