"""Template helpers of the campaign pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

from alerts.texts import money as yuan_text
from core.templatetags.crm_tags import percent

register = template.Library()


@register.filter
def yuan(value) -> str:
    """An amount in yuan as the house writes money (``alerts.texts.money``): ``¥1,234,567``; in
    Chinese ``¥123.46万`` / ``¥1.2亿``; "—" for none."""
    if value in (None, ""):
        return "—"
    try:
        return yuan_text(Decimal(value) * 100)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def rate(value, places: int = 1) -> str:
    """A share as a percentage (``12.5%``); "—" when undefined (nothing to divide by)."""
    return percent(value, places)


@register.filter
def points(value, places: int = 1) -> str:
    """A difference of two rates in percentage points, signed (``+3.2 pp``); "—" when undefined."""
    if value in (None, ""):
        return "—"
    text = percent(abs(float(value)), places).rstrip("%")
    sign = "+" if float(value) > 0 else ("−" if float(value) < 0 else "")
    return _("%(value)s pp") % {"value": f"{sign}{text}"}
