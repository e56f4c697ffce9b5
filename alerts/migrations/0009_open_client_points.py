# The open alerts by their client's points (alerts.ranking.client_points: the tier and assets
# band the alert carries since 0008), so the firm's ranked list reads the open alerts of its
# high-point clients from one index range instead of finding those clients through the
# clients' indexes and reading each one's row (issue 28). The expression is the ranking's own:
# PostgreSQL uses the index where a query compares that very expression.

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0008_rank_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                django.db.models.expressions.CombinedExpression(
                    models.Case(
                        models.When(models.Q(("client_tier", "uhnw")), then=models.Value(30)),
                        models.When(models.Q(("client_tier", "hnw")), then=models.Value(20)),
                        models.When(models.Q(("client_tier", "affluent")), then=models.Value(10)),
                        default=models.Value(0),
                        output_field=models.IntegerField(),
                    ),
                    "+",
                    django.db.models.expressions.CombinedExpression(models.F("client_assets_band"), "*", models.Value(3)),
                ),
                condition=models.Q(("status__in", ["open", "snoozed"])),
                include=(
                    "client",
                    "status",
                    "snoozed_until",
                    "severity",
                    "due_on",
                    "advisor",
                    "client_tier",
                    "client_assets_band",
                ),
                name="alert_open_client_points",
            ),
        ),
    ]
