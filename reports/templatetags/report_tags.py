"""Formatting report cells by column kind, in the page's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

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
