"""Campaigns (营销活动) run on a saved client segment (``clients.Segment``): their targets, each
with a propensity score, its reasons and a control flag; the clients left out and why; and each
target's outcome. Conversions come from transactions of the product in the campaign's window."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.access import ClientScopedQuerySet
from core.models import TimeStampedModel


class Campaign(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("campaign status", "Active")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    theme = models.CharField(
        _("theme"), max_length=200, blank=True, help_text=_("What the campaign is about when it promotes no product.")
    )
    segment = models.ForeignKey(
        "clients.Segment",
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
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
    target_limit = models.PositiveIntegerField(
        _("target limit"), null=True, blank=True, help_text=_("Keep the best-scored K eligible clients; empty: all.")
    )
    control_share = models.DecimalField(
        _("control share"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.5"))],
        help_text=_("Part of the targets held out at random and never worked, to measure uplift (0–0.5)."),
    )
    advisor_cap = models.PositiveIntegerField(
        _("targets per advisor"), null=True, blank=True, help_text=_("At most this many worked targets per advisor.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    targets_built_at = models.DateTimeField(_("targets built at"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    # What the last build found: {"candidates", "targets", "control", "excluded": {reason: n}}.
    build_summary = models.JSONField(_("build summary"), default=dict, blank=True, editable=False)
    # The target-client model used by the last build (campaigns.propensity): "model" or "rule",
    # its held-out evaluation and its settings.
    model_kind = models.CharField(_("scoring"), max_length=8, blank=True, editable=False)
    model_auc = models.FloatField(_("model AUC (held out)"), null=True, blank=True, editable=False)
    model_top_decile_rate = models.FloatField(
        _("top-decile hit rate (held out)"), null=True, blank=True, editable=False
    )
    model_base_rate = models.FloatField(_("base rate (held out)"), null=True, blank=True, editable=False)
    model_details = models.JSONField(_("model details"), default=dict, blank=True, editable=False)

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
            models.CheckConstraint(
                condition=Q(control_share__gte=0, control_share__lte=Decimal("0.5")),
                name="campaign_control_share_range",
                violation_error_message=_("The control share lies between 0 and 0.5."),
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
    score = models.FloatField(_("score"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    # The score's top reasons as codes and parameters, rendered in the reader's language
    # (campaigns.texts): [{"code": "...", "params": {...}}].
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # The suitability steps a sale would owe (rules.STEPS), from the gate's ``match`` decision.
    requires = models.JSONField(_("steps owed"), default=list, blank=True)
    control = models.BooleanField(
        _("control group"), default=False, help_text=_("Held out: never shown to advisors, to measure uplift.")
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
        indexes = [
            models.Index(fields=["advisor", "status"], name="campaign_target_advisor_status"),
            models.Index(fields=["client", "control"], name="campaign_target_client"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.client_id} ({self.status})"

    @property
    def converted(self) -> bool:
        return self.converted_on is not None


class CampaignExclusion(models.Model):
    """A client of the campaign's segment (in its creator's scope) left out of the targets, and
    why. Kept so compliance can see that no one was approached who should not be."""

    class Reason(models.TextChoices):
        ASSESSMENT_MISSING = "assessment_missing", _("Risk assessment missing")
        ASSESSMENT_EXPIRED = "assessment_expired", _("Risk assessment expired")
        PROFESSIONAL_ONLY = "professional_only", _("Professional investors only")
        ACCESS_THRESHOLD = "access_threshold", _("Access threshold not met")
        RISK = "risk", _("Risk level above the client's")
        HORIZON = "horizon", _("Horizon longer than the client's")
        VARIETY = "variety", _("Variety not declared")
        ALREADY_HOLDS = "already_holds", _("Already holds the product")
        OPTED_OUT = "opted_out", _("Opted out of marketing")
        NO_ADVISOR = "no_advisor", _("No primary advisor")
        ADVISOR_CAP = "advisor_cap", _("Advisor's target cap reached")
        OVER_LIMIT = "over_limit", _("Below the target limit")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="exclusions"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="campaign_exclusions"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # Every reason that applied, the first being ``reason`` (in the order of ``Reason``).
    all_reasons = models.JSONField(_("all reasons"), default=list, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign exclusion")
        verbose_name_plural = _("campaign exclusions")
        ordering = ["campaign", "client"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "client"], name="campaign_exclusion_unique_client"),
        ]
        indexes = [models.Index(fields=["campaign", "reason"], name="campaign_exclusion_reason")]

    def __str__(self) -> str:
        return f"{self.campaign_id} ✕ {self.client_id} ({self.reason})"
