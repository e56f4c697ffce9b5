"""The compliance workbench's sampling reviews; the compliance role may read and add them
(core/roles.py); two indexes on the suitability checks for the workbench's queues."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def sync(apps, schema_editor):
    from core.roles import sync_roles

    # The newest sync: on a fresh database crm 0011 ran before this app's model existed.
    sync_roles(apps, missing_ok=True)


# The workbench's queues read suitability checks by outcome and date (mismatches awaiting the
# client's confirmation, the checks of a period) and the checks that owe any step at all (most
# owe none). Created here, beside the pages that need them, rather than in suitability's own
# migrations; the names say whose they are.
CHECK_INDEXES = (
    (
        "compliance_check_outcome_created",
        "ON suitability_suitabilitycheck (outcome, created_at)",
    ),
    (
        "compliance_check_owing",
        "ON suitability_suitabilitycheck (created_at) WHERE requires <> '[]'::jsonb",
    ),
)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("suitability", "0005_client_investor_type"),
        ("crm", "0011_thresholds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckReview",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="recorded at")),
                (
                    "verdict",
                    models.CharField(
                        choices=[("ok", "No finding"), ("finding", "Finding")], max_length=8, verbose_name="verdict"
                    ),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                (
                    "check_record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reviews",
                        to="suitability.suitabilitycheck",
                        verbose_name="check",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "check review",
                "verbose_name_plural": "check reviews",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["check_record", "-created_at"], name="review_check_latest")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("verdict", "ok"), models.Q(("note", ""), _negated=True), _connector="OR"),
                        name="review_finding_has_note",
                        violation_error_message="A finding needs a note saying what was found.",
                    )
                ],
            },
        ),
        migrations.RunPython(sync, migrations.RunPython.noop),
        *(
            migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} {definition}", f"DROP INDEX IF EXISTS {name}")
            for name, definition in CHECK_INDEXES
        ),
    ]
