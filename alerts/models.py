"""Alerts (预警提醒): an advisor's work items, each a client to call and why."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts import ranking, texts
from core.access import ClientScopedQuerySet
from core.models import TimeStampedModel


def open_now(today: datetime.date | None = None) -> Q:
    """What "open" means wherever alerts are listed or counted — the top bar's badge, the
    dashboard, the alerts page: open, or snoozed until a day that has come (the snooze is over).
    ``snoozed_now`` is the rest of the snoozed ones."""
    today = today or timezone.localdate()
    return Q(status=Alert.Status.OPEN) | Q(status=Alert.Status.SNOOZED, snoozed_until__lte=today)


def snoozed_now(today: datetime.date | None = None) -> Q:
    """Snoozed until a day still to come (those whose day has come are open, ``open_now``)."""
    today = today or timezone.localdate()
    return Q(status=Alert.Status.SNOOZED) & (Q(snoozed_until__gt=today) | Q(snoozed_until__isnull=True))


# What the open alerts' covering indexes hold beside their keys: what a scope's counts (open
# now, by kind) and the ranked list's score (alerts.ranking) read of an alert.
RANKED_COLUMNS = ["status", "snoozed_until", "severity", "due_on", "advisor", "client_tier", "client_assets_band"]


class AlertQuerySet(ClientScopedQuerySet):
    """Alerts in a user's scope: a branch manager's by the branch kept on the alert."""

    branch_field = "branch"


class Alert(TimeStampedModel):
    """An advisor's work item (预警提醒): a client to call and why.

    Raised and closed only through ``alerts.raising`` (docs/alerts.md). ``dedupe_key`` is the
    rendering of one typed key (``raising.AlertKey``: kind, client, condition, and for the kinds
    that may come back after a cool-down the day) and unique, so the same condition never makes
    two alerts and every raiser can be re-run safely; ``condition`` is the key's condition as a
    column, so reconciling never parses the key.

    Its words are not stored: ``params`` holds the structured values (amounts in cents, ISO
    dates, product names as stored) and ``alerts.texts`` renders ``display_title`` and
    ``display_reason`` in the reader's language when shown. Rows raised before that
    (``params`` empty) keep showing their stored ``title`` and ``reason``.
    """

    class Kind(models.TextChoices):
        CHURN_RISK = "churn_risk", _("Churn risk")
        MATURITY = "maturity", _("Product maturity")
        # One kind for both: the words say "expires on" or "expired on" as the day they are read
        # decides (``alerts.texts``); the label names both.
        RISK_PROFILE_EXPIRING = "risk_profile_expiring", _("Risk profile expiring or expired")
        SUITABILITY_DRIFT = "suitability_drift", _("Suitability drift")
        LARGE_OUTFLOW = "large_outflow", _("Large outflow")
        DORMANT = "dormant", _("Dormant client")
        TIER_CHANGE = "tier_change", _("Tier change")
        CONTACT_DUE = "contact_due", _("Contact due")
        BIRTHDAY = "birthday", _("Birthday")
        TICKET_SLA = "ticket_sla", _("Ticket SLA")
        FOLLOW_UP = "follow_up", _("Follow-up handed over")

    class Severity(models.TextChoices):
        INFO = "info", _("Info")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DISMISSED = "dismissed", _("Dismissed")
        SNOOZED = "snoozed", _("Snoozed")

    advisor = models.ForeignKey(
        "advisors.Advisor", verbose_name=_("advisor"), on_delete=models.PROTECT, related_name="alerts"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="alerts"
    )
    # The client's branch, kept by the database (migration 0007's triggers): set from the client
    # on every insert and change of the alert, and moved with the client when the client moves.
    # Never written by the application (a value it writes is replaced); a branch manager's
    # alerts are read by it (``core.access``), from the branch's own index range instead of
    # probing each of the branch's ~4,900 clients for open alerts.
    branch = models.ForeignKey(
        "advisors.OrgUnit",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.DO_NOTHING,  # the client's branch is protected; this copy follows it
        db_constraint=False,
        db_index=False,  # covered by alert_open_branch_kind
        related_name="+",
    )
    # The client's rank keys (tier, assets band: ``alerts.ranking``), kept by the database as
    # the branch is (migration 0008's triggers): set from the client on every insert and change
    # of the alert, and rewritten when the client's tier or assets band changes. The ranked list
    # scores an alert from its own row, so a branch's or the firm's open alerts are ranked from
    # the alerts' index alone, without reading each alert's client.
    client_tier = models.CharField(
        _("client tier"), max_length=8, blank=True, default="", db_default="", editable=False
    )
    client_assets_band = models.SmallIntegerField(_("client assets band"), null=True, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.INFO)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    due_on = models.DateField(_("due on"))
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    condition = models.CharField(_("condition"), max_length=200, blank=True, default="", db_default="")
    params = models.JSONField(
        _("parameters"),
        null=True,
        blank=True,
        help_text=_("What the alert's words are made of; empty for alerts raised with their words stored."),
    )
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    close_note = models.CharField(_("closing note"), max_length=500, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        db_table = "advisors_alert"  # the table it has had since it lived in advisors
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["due_on", "-severity"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
                name="alert_snoozed_has_date",
                violation_error_message=_("A snoozed alert needs a date to wake up."),
            ),
        ]
        indexes = [
            models.Index(fields=["advisor", "status", "due_on"], name="alert_advisor_status_due"),
            models.Index(fields=["client", "status"], name="alert_client_status"),
            models.Index(fields=["kind", "status", "due_on"], name="alert_kind_status_due"),
            models.Index(fields=["due_on"], name="alert_due"),
            # The open alerts of a scope, counted by kind and ranked (workbench.dashboard,
            # alerts.ranking) from the index alone: ~10 MB against the table's 105 MB at 200,000
            # clients, probed per client of a branch or read whole for the firm.
            models.Index(
                fields=["client", "kind"],
                include=RANKED_COLUMNS,
                condition=Q(status__in=["open", "snoozed"]),
                name="alert_open_client_kind",
            ),
            # A branch manager's open alerts, by the branch kept on the alert (see ``branch``).
            models.Index(
                fields=["branch", "kind"],
                include=["client", *RANKED_COLUMNS],
                condition=Q(status__in=["open", "snoozed"]),
                name="alert_open_branch_kind",
            ),
            # The open alerts by their client's points (``alerts.ranking.client_points``): the
            # firm's ranked list chooses its clients among the highest first
            # (``ClientsOfMany``), from this index alone.
            models.Index(
                ranking.client_points(),
                include=["client", *RANKED_COLUMNS],
                condition=Q(status__in=["open", "snoozed"]),
                name="alert_open_client_points",
            ),
            # The whole firm's open alerts of a kind, counted up to a cap from the index alone
            # (workbench.dashboard.kind_counts): 1 MB at 200,000 clients.
            models.Index(
                fields=["kind", "status", "snoozed_until"],
                condition=Q(status__in=["open", "snoozed"]),
                name="alert_open_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.display_title}"

    @property
    def display_title(self) -> str:
        """The title in the active language (``alerts.texts``)."""
        return texts.title(self)

    @property
    def display_reason(self) -> str:
        """The reason in the active language (``alerts.texts``)."""
        return texts.reason(self)

    @property
    def display_close_note(self) -> str:
        """The closing note: the advisor's words, or what the system says when it closed the alert."""
        return texts.close_note(self)
