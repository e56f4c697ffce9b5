"""Extract uploads in the browser (imports.uploads): the upload, its files' bytes and its
problems; and operations' permission to upload (core/roles.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def sync(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps, missing_ok=True)  # other apps' newer models complete the groups in their own syncs


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_code_map"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExtractUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("checking", "Dry run running"),
                            ("checked", "Dry run OK"),
                            ("rejected", "Errors"),
                            ("importing", "Importing"),
                            ("imported", "Imported"),
                            ("already_imported", "Already imported"),
                            ("failed", "Failed"),
                        ],
                        default="checking",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        help_text="the zip's name, or the files' names", max_length=200, verbose_name="files"
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                ("fingerprint", models.CharField(db_index=True, max_length=64, verbose_name="fingerprint")),
                ("total_bytes", models.BigIntegerField(default=0, verbose_name="size")),
                ("uploaded_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="uploaded at")),
                ("checked_at", models.DateTimeField(blank=True, null=True, verbose_name="dry run finished at")),
                ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="confirmed at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                ("dry_run_counts", models.JSONField(blank=True, default=list, verbose_name="dry run counts")),
                ("import_counts", models.JSONField(blank=True, default=list, verbose_name="import counts")),
                ("error_count", models.PositiveIntegerField(default=0, verbose_name="errors")),
                ("failure", models.TextField(blank=True, verbose_name="failure")),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="crm.importbatch",
                        verbose_name="import batch",
                    ),
                ),
                (
                    "confirmed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="confirmed by",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="uploaded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "extract upload",
                "verbose_name_plural": "extract uploads",
                "ordering": ["-uploaded_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ExtractUploadError",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField(verbose_name="number in the list")),
                ("file", models.CharField(max_length=100, verbose_name="file")),
                ("line", models.PositiveIntegerField(blank=True, null=True, verbose_name="line")),
                ("column", models.CharField(blank=True, max_length=100, verbose_name="column")),
                ("reason", models.TextField(verbose_name="reason")),
                (
                    "upload",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="errors", to="imports.extractupload"
                    ),
                ),
            ],
            options={
                "verbose_name": "extract upload error",
                "verbose_name_plural": "extract upload errors",
                "ordering": ["upload", "position"],
                "constraints": [
                    models.UniqueConstraint(fields=("upload", "position"), name="extractuploaderror_position")
                ],
            },
        ),
        migrations.CreateModel(
            name="ExtractUploadFile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("size", models.BigIntegerField(verbose_name="size")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("content", models.BinaryField(default=bytes, verbose_name="content")),
                (
                    "upload",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="files", to="imports.extractupload"
                    ),
                ),
            ],
            options={
                "verbose_name": "extract upload file",
                "verbose_name_plural": "extract upload files",
                "ordering": ["upload", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("upload", "name"),
                        name="extractuploadfile_one_per_name",
                        violation_error_message="An upload holds each extract file once.",
                    )
                ],
            },
        ),
        migrations.RunPython(sync, migrations.RunPython.noop),
    ]
