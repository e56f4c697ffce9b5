"""Template helpers of the campaign pages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core import money

register = template.Library()


@register.filter
def yuan(value) -> str:
    """An amount in a table: exact whole yuan with separators in both languages (``¥1,234,567``,
    ``core.money``); the cards write it short (``money_short``)."""
    return money.yuan(value, 0)


def _hundredths(value, places: int) -> Decimal:
    """``value`` × 100 rounded half up to ``places`` decimals (0.2778 → 27.8; Django's number
    format alone would cut it to 27.7)."""
    exponent = Decimal(1).scaleb(-int(places))
    return (Decimal(str(value)) * 100).quantize(exponent, rounding=ROUND_HALF_UP)


@register.filter
def rate(value, places: int = 1) -> str:
    """A share as a percentage, rounded (``27.8%`` for 0.2778); "—" when undefined (nothing to
    divide by)."""
    if value in (None, ""):
        return "—"
    return number_format(_hundredths(value, places), decimal_pos=int(places), use_l10n=True) + "%"


@register.filter
def points(value, places: int = 1) -> str:
    """A difference of two rates in percentage points, signed and rounded (``+15.6 pp`` for
    0.1556); "—" when undefined."""
    if value in (None, ""):
        return "—"
    rounded = _hundredths(value, places)
    text = number_format(abs(rounded), decimal_pos=int(places), use_l10n=True)
    sign = "+" if rounded > 0 else ("−" if rounded < 0 else "")
    return _("%(value)s pp") % {"value": f"{sign}{text}"}
