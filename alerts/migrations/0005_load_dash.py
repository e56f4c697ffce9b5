# The open alerts of a scope counted by kind and ranked from one partial covering index (issue 28).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0004_follow_up_kind"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "snoozed"])),
                fields=["client", "kind"],
                include=("status", "snoozed_until", "severity", "due_on", "advisor"),
                name="alert_open_client_kind",
            ),
        ),
    ]
