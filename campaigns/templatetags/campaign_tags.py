"""Template helpers of the campaign pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from core.templatetags.crm_tags import money, percent

register = template.Library()


@register.filter
def yuan(value, places: int = 0) -> str:
    """An amount in yuan with the language's separators and ``¥`` (``¥1,234,567``); "—" for none."""
    text = money(value, places)
    return text if text == "—" else f"¥{text}"


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
