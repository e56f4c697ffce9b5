"""The daily aggregates the branch-manager reports read (报表日汇总).

The nightly run's ``reports`` step rebuilds one day's rows of every table here
(``reports.aggregates.refresh_day``) from the facts — clients, snapshots, cash flows, trades,
segment history, interactions, alerts, tickets, suitability checks — so a report never reads a
raw fact table and costs the same few queries whatever the size of the book.

The grain is the **advisor within their org unit**: every row carries the unit the figures roll
up through (the advisor's unit, or for a client without a primary advisor that day, the
client's branch with ``advisor`` empty — the "no advisor" row), so one ``GROUP BY`` on a prefix
of the unit's materialized path gives any level of the tree, and the rows of a level always add
up to the level above. Definitions of every figure: docs/reports.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 20, "decimal_places": 2}


class _DayRow(models.Model):
    """Where a day's figures sit in the tree: the unit they roll up through and the advisor
    (empty for clients or tickets nobody held that day)."""

    day = models.DateField(_("day"))
    unit = models.ForeignKey(
        "advisors.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )

    class Meta:
        abstract = True


class ReportDay(models.Model):
    """A day whose aggregates have been built, and whether the book had asset snapshots that
    day (stock figures — clients' assets — are read from the last such day of a period)."""

    day = models.DateField(_("day"), unique=True)
    has_snapshots = models.BooleanField(_("has asset snapshots"), default=False)
    clients = models.PositiveIntegerField(_("clients on the book"), default=0)
    refreshed_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("report day")
        verbose_name_plural = _("report days")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class AdvisorDay(_DayRow):
    """One advisor's (or one unit's "no advisor") figures for one day: the book at the end of
    the day, the day's flows, and the day's work (alerts, suitability checks)."""

    clients = models.PositiveIntegerField(_("clients"), default=0)
    assets = models.DecimalField(_("total assets"), default=0, **MONEY)
    new_clients = models.PositiveIntegerField(_("new clients"), default=0)
    lost_clients = models.PositiveIntegerField(_("lost clients"), default=0)
    net_inflow = models.DecimalField(_("net inflow"), default=0, **MONEY)
    commission = models.DecimalField(_("commission"), default=0, **MONEY)
    contacted_in_time = models.PositiveIntegerField(_("clients contacted within their coverage rule"), default=0)
    alerts_raised = models.PositiveIntegerField(_("alerts raised"), default=0)
    alerts_due = models.PositiveIntegerField(_("alerts due"), default=0)
    alerts_on_time = models.PositiveIntegerField(_("alerts worked on time"), default=0)
    checks = models.PositiveIntegerField(_("suitability checks"), default=0)
    checks_match = models.PositiveIntegerField(_("matches"), default=0)
    checks_mismatch = models.PositiveIntegerField(_("mismatches"), default=0)
    checks_prohibited = models.PositiveIntegerField(_("prohibited attempts"), default=0)
    confirmations = models.PositiveIntegerField(_("client confirmations"), default=0)

    class Meta:
        verbose_name = _("advisor day")
        verbose_name_plural = _("advisor days")
        ordering = ["-day"]
        permissions = [("view_report", _("Can view branch reports"))]
        indexes = [
            models.Index(fields=["day", "unit"], name="advisorday_day_unit"),
            models.Index(fields=["advisor", "day"], name="advisorday_advisor_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.unit_id}/{self.advisor_id or '-'}"


class SegmentDay(_DayRow):
    """The book at the end of a day by tier and by lifecycle stage: clients and their assets."""

    class Dimension(models.TextChoices):
        TIER = "tier", _("Tier")
        LIFECYCLE_STAGE = "lifecycle_stage", _("Lifecycle stage")

    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    value = models.CharField(_("value"), max_length=16)
    clients = models.PositiveIntegerField(_("clients"), default=0)
    assets = models.DecimalField(_("total assets"), default=0, **MONEY)

    class Meta:
        verbose_name = _("segment day")
        verbose_name_plural = _("segment days")
        ordering = ["-day"]
        indexes = [models.Index(fields=["day", "unit"], name="segmentday_day_unit")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.dimension}={self.value}: {self.clients}"


class SegmentMoveDay(_DayRow):
    """Clients who moved from one tier (or stage) to another that day — the migration matrix's
    cells. A client's first segmentation is not a move."""

    dimension = models.CharField(_("dimension"), max_length=16, choices=SegmentDay.Dimension.choices)
    from_value = models.CharField(_("from"), max_length=16)
    to_value = models.CharField(_("to"), max_length=16)
    clients = models.PositiveIntegerField(_("clients"), default=0)

    class Meta:
        verbose_name = _("segment move day")
        verbose_name_plural = _("segment move days")
        ordering = ["-day"]
        indexes = [models.Index(fields=["day", "unit"], name="segmentmoveday_day_unit")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.dimension}: {self.from_value} → {self.to_value}"


class TicketDay(_DayRow):
    """Service tickets by kind for one day: opened, resolved (and within their SLA), and the
    satisfaction scores of the tickets closed that day. Rows sit with the assignee (the
    ticket's branch when unassigned)."""

    kind = models.ForeignKey(
        "tickets.TicketKind", verbose_name=_("kind"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    opened = models.PositiveIntegerField(_("opened"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    resolved_in_sla = models.PositiveIntegerField(_("resolved within SLA"), default=0)
    rated = models.PositiveIntegerField(_("satisfaction scores"), default=0)
    satisfaction_sum = models.PositiveIntegerField(_("sum of satisfaction scores"), default=0)

    class Meta:
        verbose_name = _("ticket day")
        verbose_name_plural = _("ticket days")
        ordering = ["-day"]
        indexes = [models.Index(fields=["day", "unit"], name="ticketday_day_unit")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.kind_id}: {self.opened}/{self.resolved}"


class ClientExit(_DayRow):
    """A client lost that day (closed), where they sat in the tree then: the period's churned
    clients list, which always counts the same as the lost-clients figure."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # What the churn model had said of the client before the loss, kept with the loss itself:
    # the last score the nightly run gave (a closed client is no longer scored, so the score it
    # carries is the one before it left) and its churn-risk alerts due on or before the day.
    churn_score = models.FloatField(_("last churn score"), null=True, blank=True)
    churn_reason = models.TextField(_("last churn reasons"), blank=True)
    churn_params = models.JSONField(_("last churn reasons (codes)"), null=True, blank=True)
    first_warned_on = models.DateField(_("first churn warning"), null=True, blank=True)
    last_warned_on = models.DateField(_("last churn warning"), null=True, blank=True)

    class Meta:
        verbose_name = _("lost client")
        verbose_name_plural = _("lost clients")
        ordering = ["-day"]
        indexes = [models.Index(fields=["day", "unit"], name="clientexit_day_unit")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.client_id}"
