"""Enumerations shared by several apps: the brokerage's common vocabulary (see GLOSSARY.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    MASS = "mass", _("Mass")
    AFFLUENT = "affluent", _("Affluent")
    HIGH_NET_WORTH = "hnw", _("High net worth")
    ULTRA_HIGH_NET_WORTH = "uhnw", _("Ultra high net worth")


class RiskTolerance(models.TextChoices):
    """An investor's risk tolerance level (风险承受能力等级)."""

    C1 = "C1", _("C1 conservative")
    C2 = "C2", _("C2 cautious")
    C3 = "C3", _("C3 balanced")
    C4 = "C4", _("C4 growth")
    C5 = "C5", _("C5 aggressive")


class ProductRisk(models.TextChoices):
    """A product's risk level (产品风险等级)."""

    R1 = "R1", _("R1 low")
    R2 = "R2", _("R2 medium-low")
    R3 = "R3", _("R3 medium")
    R4 = "R4", _("R4 medium-high")
    R5 = "R5", _("R5 high")


class Horizon(models.TextChoices):
    """Investment horizon: short ≤ 1 year, medium 1–5 years, long > 5 years.

    For an investor, ``long`` means "no special requirement": any product's horizon fits.
    """

    SHORT = "short", _("Short (up to 1 year)")
    MEDIUM = "medium", _("Medium (1–5 years)")
    LONG = "long", _("Long (over 5 years)")


class Variety(models.TextChoices):
    """Investment variety (投资品种)."""

    CASH = "cash", _("Cash management")
    FIXED_INCOME = "fixed_income", _("Fixed income")
    EQUITY = "equity", _("Equity")
    MIXED = "mixed", _("Mixed")
    DERIVATIVES = "derivatives", _("Derivatives")
    COMPLEX = "complex", _("Complex or high-risk")


class InvestorType(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary investor")
    PROFESSIONAL_A = "professional_a", _("Professional investor (A)")
    PROFESSIONAL_B = "professional_b", _("Professional investor (B)")
    PROFESSIONAL_C = "professional_c", _("Professional investor (C)")


class ContactChannel(models.TextChoices):
    """Ways an advisor reaches a client (interactions, preferred channel)."""

    CALL = "call", _("Phone call")
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Visit")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
