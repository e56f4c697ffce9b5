"""The code map (imports.code_maps), its shipped defaults, and operations' permission to keep it
(core/roles.py)."""

from django.db import migrations, models


def shipped_defaults(apps, schema_editor):
    from imports.code_maps import default_rows
    from imports.columns import fold_code

    CodeMap = apps.get_model("imports", "CodeMap")
    CodeMap.objects.bulk_create(
        [
            CodeMap(
                file=file, column=column, their_code=theirs, code_key=fold_code(theirs), our_code=ours, shipped=True
            )
            for file, column, theirs, ours in default_rows()
        ],
        ignore_conflicts=True,
    )


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # other apps' newer models complete the groups in their own syncs


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("crm", "0011_thresholds"),
    ]

    operations = [
        migrations.CreateModel(
            name="CodeMap",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.CharField(max_length=40, verbose_name="file")),
                ("column", models.CharField(max_length=40, verbose_name="column")),
                (
                    "their_code",
                    models.CharField(
                        help_text="As the counter system exports it; case and blanks do not count.",
                        max_length=64,
                        verbose_name="their code",
                    ),
                ),
                ("code_key", models.CharField(editable=False, max_length=64)),
                ("our_code", models.CharField(max_length=32, verbose_name="our code")),
                (
                    "active",
                    models.BooleanField(
                        default=True, help_text="Switched off, the import ignores it.", verbose_name="active"
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                ("shipped", models.BooleanField(default=False, editable=False, verbose_name="shipped default")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "code map",
                "verbose_name_plural": "code maps",
                "ordering": ("file", "column", "code_key"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("file", "column", "code_key"),
                        name="code_map_one_row_per_code",
                        violation_error_message="This column already maps this code.",
                    )
                ],
            },
        ),
        migrations.RunPython(shipped_defaults, migrations.RunPython.noop),
        migrations.RunPython(sync, migrations.RunPython.noop),
    ]
