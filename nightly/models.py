"""The record of each nightly run: one row per business date, its steps and its chunks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NightlyRun(models.Model):
    """One night's pipeline for one business date (import → snapshots → segmentation → churn →
    alerts → publish). The row is also the per-date lock: a run claims it with a conditional
    update (``nightly.pipeline.claim``), so two runs for a date never work at once.

    ``steps`` holds, per step, ``{status, seconds, rows, error, …}``; the churn step adds the
    model's held-out AUC next to the rule score's.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PUBLISHED = "published", _("Published")
        INCOMPLETE = "incomplete", _("Incomplete")
        FAILED = "failed", _("Failed")

    date = models.DateField(_("business date"), unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    steps = models.JSONField(_("steps"), default=dict, blank=True)
    extract_path = models.CharField(_("extract folder"), max_length=500, blank=True)
    chunks_expected = models.PositiveIntegerField(_("chunks expected"), default=0)
    error = models.TextField(_("error"), blank=True)
    token = models.CharField(_("claim token"), max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.status}"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class NightlyChunk(models.Model):
    """One chunk of client ids of a run's segmentation step; the join counts the finished ones,
    so a run with a missing chunk is marked incomplete instead of publishing half a night."""

    run = models.ForeignKey(NightlyRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField(_("index"))
    first_client_id = models.BigIntegerField(_("first client id"))
    last_client_id = models.BigIntegerField(_("last client id"))
    done = models.BooleanField(_("done"), default=False)
    rows = models.JSONField(_("rows"), default=dict, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("nightly chunk")
        verbose_name_plural = _("nightly chunks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="nightly_chunk_unique_index")]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.index} [{self.first_client_id}–{self.last_client_id}]"
