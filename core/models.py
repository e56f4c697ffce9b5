"""Base classes shared by every app's models, and the project-wide records (import batches,
the trading calendar)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.language import shipped_name


class TimeStampedModel(models.Model):
    """Base for domain records people create and edit: when it was made and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised on an attempt to change or delete an append-only record."""


class AppendOnlyModel(models.Model):
    """Base for records that are written once and never edited or deleted by the application
    (suitability checks, ticket timelines, logs). A correction is a new record.

    ``save()`` refuses an update and ``delete()`` refuses, so no code path — view, admin,
    shell — changes history by accident. (Bulk queryset updates bypass model methods; none of
    our code uses them on these tables.)
    """

    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} records are append-only and cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} records are append-only and cannot be deleted")


class ImportBatch(models.Model):
    """One bulk load (an extract folder, a nightly step): who or which job ran it, when, which
    files with which checksums, how many rows — the audit trail of data that did not come
    through a page. A folder whose files' checksums match a finished batch is not loaded again.
    """

    class Source(models.TextChoices):
        IMPORT = "import", _("Extract import")  # from the command line or a browser upload (its path says which)
        JOB = "job", _("Scheduled job")
        SEED = "seed", _("Demo data")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    path = models.CharField(_("path"), max_length=500, blank=True)
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("SHA-256 over the names and checksums of every file in the batch."),
    )
    files = models.JSONField(_("files"), default=list, blank=True, help_text=_("[{name, sha256, rows}]"))
    row_counts = models.JSONField(_("row counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("run by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-started_at"], name="importbatch_status_started")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.path or ''} ({self.get_status_display()})"


class TradingHoliday(models.Model):
    """A weekday on which the exchanges are closed. Weekends are never trading days; this table
    holds the rest of the calendar (Spring Festival, National Day …), maintained in admin."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("trading holiday")
        verbose_name_plural = _("trading holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {shipped_name(self.name)}"


class AccessLog(AppendOnlyModel):
    """Who looked at which client's data, and why: every client-page view, every reveal of
    personal data (with the typed reason), every export. Append-only; the database refuses
    UPDATE and DELETE on this table (see migration 0004)."""

    class Action(models.TextChoices):
        VIEW_CLIENT = "view_client", _("Viewed a client")
        REVEAL_PII = "reveal_pii", _("Revealed personal data")
        EXPORT = "export", _("Exported a list")
        VIEW_LIST = "view_list", _("Viewed a list")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (client, created_at) index serves it
    )
    fields = models.JSONField(_("fields"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    rows = models.PositiveIntegerField(_("rows exported"), null=True, blank=True)
    path = models.CharField(_("page or endpoint"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=8, blank=True)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-created_at"]
        # Segregation of duties (core/roles.py): the one permission that may hand out access to
        # personal data or oversight roles. It lives here, beside the log of that access, because
        # Django permissions hang on a model and it guards no model of its own.
        permissions = [
            (
                "administer_security",
                _("Can grant privileged roles, reset privileged users' passwords and revoke API tokens"),
            )
        ]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="accesslog_client_when"),
            models.Index(fields=["user", "-created_at"], name="accesslog_user_when"),
            models.Index(fields=["action", "-created_at"], name="accesslog_action_when"),
        ]

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return f"{when} {self.get_action_display()}"


class Threshold(models.Model):
    """The value in force of one business threshold (``core.thresholds`` declares each one: type,
    unit, bounds, default, meaning). Operations edit it in the admin; the next nightly run uses
    it. A missing row means the default."""

    key = models.CharField(_("threshold"), max_length=64, unique=True)
    value = models.CharField(_("value"), max_length=200)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def definition(self):
        from core.thresholds import DEFINITIONS

        return DEFINITIONS.get(self.key)

    def clean(self):
        definition = self.definition
        if definition is None:
            raise ValidationError({"key": _("Unknown threshold.")})
        try:
            definition.parse(self.value)
        except ValidationError as error:
            raise ValidationError({"value": error.messages}) from error

    @classmethod
    def ensure_rows(cls) -> None:
        """One row per declared threshold, at its default where none exists yet."""
        from core.thresholds import DEFINITIONS

        cls.objects.bulk_create(
            [cls(key=key, value=d.default) for key, d in DEFINITIONS.items()], ignore_conflicts=True
        )
