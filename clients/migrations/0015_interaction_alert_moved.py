import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("clients", "0014_alter_client_financial_assets"),
    ]

    # The same table (advisors_alert) under its new app: Django's picture changes, the database not.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="alert",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="interactions",
                        to="alerts.alert",
                        verbose_name="alert",
                    ),
                ),
            ],
        ),
    ]
