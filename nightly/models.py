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


class RunFacts(models.Model):
    """What a run's per-client facts tables share: the run and the client, as plain ids
    (scratch data, no foreign keys)."""

    run_id = models.BigIntegerField(_("run"))
    client_id = models.BigIntegerField(_("client"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.run_id}/{self.client_id}"


class ClientFacts(RunFacts):
    """Per run and client, the asset aggregates segmentation decides on, computed for the whole
    book in one set-based statement by the plan step (``nightly.steps.segmentation.collect_facts``),
    so each segmentation chunk reads its clients' facts with one indexed query instead of
    aggregating the large tables by client-id range. The trades' and cash flows' aggregates are
    ``ActivityFacts``, computed at the same time by another task. Money in whole cents. Scratch
    data: a run's rows are replaced when the date is run again and deleted once a later run
    plans."""

    has_account = models.BooleanField(default=False)
    window_sum = models.BigIntegerField(default=0)  # total assets summed over the tier window
    window_days = models.IntegerField(default=0)
    assets = models.BigIntegerField(null=True)  # today's snapshot
    securities = models.BigIntegerField(null=True)
    cash = models.BigIntegerField(null=True)
    base_assets = models.BigIntegerField(null=True)  # the snapshot of ~90 days ago
    assets_30 = models.BigIntegerField(null=True)  # the snapshot of ~30 days ago (for churn)

    class Meta:
        verbose_name = _("client facts")
        verbose_name_plural = _("client facts")
        constraints = [models.UniqueConstraint(fields=["run_id", "client_id"], name="client_facts_unique_run_client")]


class ActivityFacts(RunFacts):
    """Per run and client who ever traded or moved cash, the trades' and cash flows'
    aggregates segmentation and churn read (``nightly.steps.segmentation.collect_activity_facts``):
    their own table, filled by their own task beside the snapshots and the plan (they need
    nothing the snapshots step writes), so the whole-book aggregates run on two workers at once.
    Money in whole cents; scratch data, kept like ``ClientFacts``."""

    last_trade = models.DateField(null=True)
    first_trade = models.DateField(null=True)
    trades = models.IntegerField(default=0)  # in the last 365 days
    bought = models.BigIntegerField(default=0)
    sold = models.BigIntegerField(default=0)
    last_flow = models.DateField(null=True)
    first_flow = models.DateField(null=True)
    out_30 = models.BigIntegerField(default=0)  # cash out and in over the last 30 and 90 days (for churn)
    in_30 = models.BigIntegerField(default=0)
    out_90 = models.BigIntegerField(default=0)
    in_90 = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("activity facts")
        verbose_name_plural = _("activity facts")
        constraints = [models.UniqueConstraint(fields=["run_id", "client_id"], name="activity_facts_unique_run_client")]


class ChurnFeatures(models.Model):
    """A client's churn inputs as of a day, kept from night to night: the churn model trains on
    past days' rows (90, 120, … days back) instead of recomputing them every night. Raw values
    (money in whole cents); ``nightly.steps.churn`` derives the model's features from them."""

    day = models.DateField(_("day"))
    client_id = models.BigIntegerField(_("client"))
    opened_on = models.DateField(null=True)
    closed_on = models.DateField(null=True)
    assets = models.BigIntegerField(default=0)
    assets_30 = models.BigIntegerField(null=True)
    assets_90 = models.BigIntegerField(null=True)
    out_30 = models.BigIntegerField(default=0)
    in_30 = models.BigIntegerField(default=0)
    out_90 = models.BigIntegerField(default=0)
    in_90 = models.BigIntegerField(default=0)
    last_trade = models.DateField(null=True)
    last_contact = models.DateField(null=True)
    complaints = models.IntegerField(default=0)
    # Churned within 90 days after ``day`` (1) or not (0), set once the outcome is known (90
    # days later) for the clients holding assets that day; training reads it.
    label = models.SmallIntegerField(null=True)

    class Meta:
        verbose_name = _("churn features")
        verbose_name_plural = _("churn features")
        constraints = [models.UniqueConstraint(fields=["day", "client_id"], name="churn_features_unique_day_client")]

    def __str__(self) -> str:
        return f"{self.day}/{self.client_id}"


class ChurnModel(models.Model):
    """The churn model a night trained, kept so that the nights after it score the book with it
    instead of training again (``churn_retrain_days``; ``nightly.steps.churn.model_for``).
    Training is the churn step's largest part, while the reference days it learns from move by
    one day a night. Kept only when it was tested on a held-out period: the row records which
    score won (the model, or the rule when the model did not beat it) and both AUCs.

    The fitted estimator is pickled, as scikit-learn models are: whoever can write this table
    can run code in the worker, so it is written by the nightly run only and not editable in the
    admin (operations may delete a row, and the next night trains again)."""

    trained_on = models.DateField(_("trained on"), unique=True)
    score = models.CharField(_("score used"), max_length=20)  # "gradient_boosting" or "rule"
    estimator = models.BinaryField(_("fitted model"), null=True, editable=False)
    library_version = models.CharField(_("scikit-learn version"), max_length=20)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("churn model")
        verbose_name_plural = _("churn models")
        ordering = ["-trained_on"]

    def __str__(self) -> str:
        return f"{self.trained_on} {self.score}"
