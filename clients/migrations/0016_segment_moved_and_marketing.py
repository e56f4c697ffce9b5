import django.db.models.deletion
from decimal import Decimal

from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep the content type row (and the permissions groups hold, and the change log's
    references): it is renamed from campaigns.segment to clients.segment, not re-created."""
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="campaigns", model="segment").update(app_label="clients")


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="clients", model="segment").update(app_label="campaigns")


class Migration(migrations.Migration):
    """Segment moves from campaigns to clients (it is the client list's filter vocabulary, saved;
    the client list and the clients API filter on it). The table keeps its name
    (campaigns_segment), so only Django's picture and the content type change. Clients gain the
    nightly average assets, the investor type in force and the marketing opt-out."""

    dependencies = [
        ("advisors", "0004_alert_moved"),
        ("campaigns", "0002_initial"),
        ("clients", "0015_interaction_alert_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Segment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        ("criteria", models.JSONField(blank=True, default=dict, help_text="Client list filters, by name.", verbose_name="criteria")),
                        ("org_unit", models.ForeignKey(blank=True, help_text="Empty: only the owner uses it.", null=True, on_delete=django.db.models.deletion.SET_NULL, to="advisors.orgunit", verbose_name="shared with unit")),
                        ("owner", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="segments", to=settings.AUTH_USER_MODEL, verbose_name="owner")),
                    ],
                    options={
                        "verbose_name": "segment",
                        "verbose_name_plural": "segments",
                        "ordering": ["name"],
                        "db_table": "campaigns_segment",
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
        migrations.AddField(
            model_name="client",
            name="average_assets",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=18, verbose_name="average assets (tier window)"),
        ),
        migrations.AddField(
            model_name="client",
            name="investor_type",
            field=models.CharField(blank=True, editable=False, max_length=16, verbose_name="investor type"),
        ),
        migrations.AddField(
            model_name="client",
            name="marketing_opt_out",
            field=models.BooleanField(default=False, help_text="The client asked not to be approached with offers: campaigns leave them out.", verbose_name="opted out of marketing"),
        ),
    ]
