"""The product shelf: what the brokerage sells, with the attributes suitability matches on."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from core.choices import Horizon, ProductRisk, Variety
from core.models import TimeStampedModel


class ProductQuerySet(models.QuerySet):
    """The product filters the shelf and the product pickers share."""

    def on_sale(self, today: datetime.date) -> ProductQuerySet:
        """Open for subscription today: status on sale and not past its maturity date (the
        status is updated by the extract, the date may pass first)."""
        return self.filter(status=Product.Status.ON_SALE).exclude(maturity_date__lt=today)

    def pickable(self, today: datetime.date, *, include_not_on_sale: bool = False) -> ProductQuerySet:
        """What a product picker offers: products on sale, or, when the user asks, every product
        that has not matured (closed, suspended, not yet launched)."""
        if include_not_on_sale:
            return self.exclude(status=Product.Status.MATURED).exclude(maturity_date__lt=today)
        return self.on_sale(today)

    def search(self, text: str) -> ProductQuerySet:
        """Products whose code or name contains ``text`` (case-insensitive), exact code first,
        then codes starting with it, then the rest by code. The catalogue is a few hundred to a
        few thousand rows: a filtered scan of it costs less than a trigram index would save."""
        text = (text or "").strip()
        if not text:
            return self.order_by("code")
        return (
            self.filter(Q(code__icontains=text) | Q(name__icontains=text))
            .annotate(
                closeness=Case(
                    When(code__iexact=text, then=Value(0)),
                    When(code__istartswith=text, then=Value(1)),
                    When(name__istartswith=text, then=Value(2)),
                    default=Value(3),
                    output_field=IntegerField(),
                )
            )
            .order_by("closeness", "code")
        )


class Product(TimeStampedModel):
    """A product (产品): a stock, a fund, a bond, a wealth product, a private fund …"""

    class ProductType(models.TextChoices):
        STOCK = "stock", _("Stock")
        ETF = "etf", _("ETF")
        MONEY_FUND = "money_fund", _("Money market fund")
        BOND_FUND = "bond_fund", _("Bond fund")
        EQUITY_FUND = "equity_fund", _("Equity fund")
        MIXED_FUND = "mixed_fund", _("Mixed fund")
        QDII_FUND = "qdii_fund", _("QDII fund")
        BOND = "bond", _("Bond")
        WEALTH_PRODUCT = "wealth_product", _("Wealth management product")
        ASSET_MANAGEMENT_PLAN = "asset_mgmt_plan", _("Asset management plan")
        STRUCTURED = "structured", _("Structured product")
        PRIVATE_FUND = "private_fund", _("Private fund")

    class Status(models.TextChoices):
        PRE_LAUNCH = "pre_launch", _("Pre-launch")
        ON_SALE = "on_sale", _("On sale")
        CLOSED = "closed", _("Closed for subscription")
        MATURED = "matured", _("Matured")
        SUSPENDED = "suspended", _("Suspended")

    code = models.CharField(_("product code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    product_type = models.CharField(_("product type"), max_length=16, choices=ProductType.choices)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=ProductRisk.choices)
    horizon = models.CharField(_("investment horizon"), max_length=8, choices=Horizon.choices)
    variety = models.CharField(_("variety"), max_length=16, choices=Variety.choices)
    min_investment = models.DecimalField(_("minimum investment"), max_digits=18, decimal_places=2, default=0)
    access_min_assets = models.DecimalField(
        _("minimum 20-day average assets"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Access threshold; empty means none."),
    )
    launch_date = models.DateField(_("launch date"), null=True, blank=True)
    maturity_date = models.DateField(_("maturity date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ON_SALE)
    professional_only = models.BooleanField(_("professional investors only"), default=False)
    needs_dual_recording = models.BooleanField(_("needs audio/video recording"), default=False)
    nav = models.DecimalField(_("NAV / price"), max_digits=14, decimal_places=4, null=True, blank=True)
    nav_date = models.DateField(_("NAV date"), null=True, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(maturity_date__isnull=True)
                | Q(launch_date__isnull=True)
                | Q(maturity_date__gte=F("launch_date")),
                name="product_matures_after_launch",
                violation_error_message=_("A product cannot mature before it launches."),
            ),
            models.CheckConstraint(
                condition=Q(min_investment__gte=0),
                name="product_min_investment_not_negative",
                violation_error_message=_("The minimum investment cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(access_min_assets__isnull=True) | Q(access_min_assets__gte=0),
                name="product_access_threshold_not_negative",
                violation_error_message=_("The access threshold cannot be negative."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "risk_level"], name="product_status_risk"),
            models.Index(fields=["maturity_date"], condition=Q(maturity_date__isnull=False), name="product_maturity"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
