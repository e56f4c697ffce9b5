"""Formatting report cells by column kind, in the page's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import get_language

from core import money
from reports.tables import format_cell

register = template.Library()


@register.filter
def cell(value, kind: str) -> str:
    """A figure as the page shows it (``reports.tables.format_cell``)."""
    return format_cell(value, kind)


@register.filter
def signed(value) -> str:
    """``+1.5%`` / ``−3.0%`` for a change in percent (None → empty)."""
    if value is None:
        return ""
    number = formats.number_format(abs(Decimal(value)), decimal_pos=1, use_l10n=True)
    return ("+" if value >= 0 else "−") + number + "%"


@register.filter
def is_negative(value) -> bool:
    try:
        return Decimal(value) < 0
    except Exception:
        return False


@register.filter
def signed_count(value) -> str:
    """``+3`` / ``−2`` / ``±0`` for a difference of counts (None → empty)."""
    if value is None:
        return ""
    if value == 0:
        return "±0"
    number = formats.number_format(abs(int(value)), use_l10n=True, force_grouping=True)
    return ("+" if value > 0 else "−") + number


@register.filter
def signed_money(value) -> str:
    """A difference of amounts as a card shows amounts (``+¥12.5万``, ``−¥3.2M``; None → empty)."""
    if value is None:
        return ""
    if value == 0:
        return "±0"
    amount = money.short_yuan(abs(Decimal(value)), get_language() or "", 2)
    return ("+" if value > 0 else "−") + amount
