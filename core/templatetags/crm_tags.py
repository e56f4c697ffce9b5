"""Small template helpers shared by the workbench pages."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.http import urlencode

from core.money import grouped
from core.money import percent as money_percent

register = template.Library()


@register.filter
def add_class(bound_field, css: str):
    """Render a form field with extra CSS classes (Bootstrap's ``form-control`` …)."""
    existing = bound_field.field.widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def iso_date(value) -> str:
    """The value of an ``<input type="date">``: ISO (YYYY-MM-DD) in every language — the browser
    rejects the localized ``2027/01/05``. A date is written in ISO; a string (what the user typed,
    already in the input's format) is passed on as is; nothing gives an empty value."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


@register.filter
def money(value, places: int = 2):
    """A yuan amount with the language's grouping and decimal marks (``1,234,567.89``)."""
    if value in (None, ""):
        return "—"
    try:
        Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return grouped(value, int(places))  # rounded half up, as the cards and exports round


@register.filter
def percent(value, places: int = 0):
    return money_percent(value, places)


@register.filter
def capped(value, cap: int):
    """A count that was only counted up to ``cap`` + 1: ``1,000+`` when it reached past it."""
    if value in (None, ""):
        return "—"
    value = int(str(value))  # str: a lazy count (the navigation badge's)
    shown = min(value, int(cap))
    text = number_format(shown, use_l10n=True, force_grouping=True)
    return f"{text}+" if value > int(cap) else text


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (``None`` removes one) — for
    sort links and pagination that keep the filters."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"
