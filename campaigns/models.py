"""Saved client segments (客群), campaigns (营销活动) run on them, and each target's outcome.
Conversions come from transactions in the campaign's window."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.access import ClientScopedQuerySet
from core.models import TimeStampedModel


class Segment(TimeStampedModel):
    """A saved client filter: the same criteria as the client list's filters, stored as data."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True, help_text=_("Client list filters, by name."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="segments"
    )
    org_unit = models.ForeignKey(
        "advisors.OrgUnit",
        verbose_name=_("shared with unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: only the owner uses it."),
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("campaign status", "Active")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("promoted product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    org_unit = models.ForeignKey(
        "advisors.OrgUnit", verbose_name=_("run by unit"), on_delete=models.PROTECT, related_name="campaigns"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    target_amount = models.DecimalField(_("target amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="campaign_ends_after_start",
                violation_error_message=_("A campaign cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_on"], name="campaign_status_end")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CampaignTarget(TimeStampedModel):
    """A client targeted by a campaign, the advisor who works them, and what came of it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONTACTED = "contacted", _("Contacted")
        INTERESTED = "interested", _("Interested")
        DECLINED = "declined", _("Declined")
        CONVERTED = "converted", _("Converted")
        UNREACHABLE = "unreachable", _("Unreachable")

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="targets")
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="campaign_targets"
    )
    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_targets",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    converted_on = models.DateField(_("converted on"), null=True, blank=True)
    conversion_amount = models.DecimalField(
        _("conversion amount"), max_digits=18, decimal_places=2, null=True, blank=True
    )

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "client"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "client"], name="campaign_target_unique_client"),
        ]
        indexes = [models.Index(fields=["advisor", "status"], name="campaign_target_advisor_status")]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.client_id} ({self.status})"
