from django.db import migrations


class Migration(migrations.Migration):
    """Alert now lives in the alerts app (same table): remove it from advisors' picture only."""

    dependencies = [
        ("advisors", "0003_admin_sort_indexes"),
        ("alerts", "0001_initial"),
        ("clients", "0015_interaction_alert_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="alert", name="advisor"),
                migrations.RemoveField(model_name="alert", name="client"),
                migrations.RemoveField(model_name="alert", name="closed_by"),
                migrations.DeleteModel(name="Alert"),
            ],
        ),
    ]
