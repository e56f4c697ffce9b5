"""Template helpers for suitability: a reason's message in the page's language, outcome styles."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django import template
from django.utils import formats
from django.utils.translation import get_language

from core import money
from suitability.reasons import Reason, record_message

register = template.Library()

OUTCOME_BADGES = {"match": "text-bg-success", "mismatch_confirmable": "text-bg-warning", "prohibited": "text-bg-danger"}


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value) -> datetime.date | None:
    """The day a reason's value names (a ``date`` or its ISO string, as stored), else None."""
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _readable_days(text: str, params) -> str:
    """``text`` with each day its values name written in the reader's language (2025年8月20日,
    20 Aug 2025) instead of ISO. The reason's words stay as stored (a check is a record, art. 32):
    only the way a day is written is the page's."""
    for value in dict(params or {}).values():
        day = _iso_day(value)
        if day is not None:
            text = text.replace(day.isoformat(), formats.date_format(day, "DATE_FORMAT"))
    return text


# The values a reason names that are amounts of money (yuan), written as the page writes money.
MONEY_PARAMS = frozenset({"assets", "threshold", "net_assets", "financial_assets"})


def _readable_amounts(text: str, params) -> str:
    """``text`` with each amount its values name written as money (¥24,884.22, not 24884.22);
    like the days, only the way an amount is written is the page's."""
    for key, value in dict(params or {}).items():
        if key not in MONEY_PARAMS or value is None:
            continue
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            continue
        if not amount.is_finite():
            continue
        # the stored value as written, not inside a longer number
        text = re.sub(rf"(?<![\d.,]){re.escape(str(value))}(?![\d])", money.yuan(amount), text)
    return text


@register.filter
def reason_text(reason) -> str:
    """A ``Reason`` (from the rules) or a stored reason (``{code, en, zh, params}``) in the page's
    language, its days and amounts written the page's way."""
    if isinstance(reason, Reason):
        params = reason.params
        text = reason.message(get_language())
    else:
        params = reason.get("params")
        text = record_message(reason, get_language())
    return _readable_amounts(_readable_days(text, params), params)


@register.filter
def variety_labels(codes) -> str:
    """Declared varieties in words, in the page's language ("Fixed income, Equity"), not codes."""
    from core.choices import Variety

    labels = dict(Variety.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def outcome_badge(outcome) -> str:
    """The Bootstrap badge class for an outcome."""
    return OUTCOME_BADGES.get(str(outcome), "text-bg-secondary")


@register.filter
def outcome_label(outcome) -> str:
    from suitability.models import SuitabilityCheck

    return SuitabilityCheck.Outcome(str(outcome)).label


@register.filter
def step_label(kind) -> str:
    from suitability.models import SuitabilityStep

    return SuitabilityStep.Kind(str(kind)).label


@register.filter
def step_labels(kinds) -> list[str]:
    """Each step's label (to be joined with ``display_tags.listing``)."""
    return [step_label(kind) for kind in kinds]


@register.simple_tag
def shelf_query(query: dict, page_number) -> str:
    """The shelf's search (``q``, ``type``, ``outcome``; empty ones left out) with a page number,
    as a URL query string: the page links keep the search."""
    return urlencode({**{key: value for key, value in query.items() if value}, "page": page_number})


@register.filter
def shelf_page_range(page):
    """The page numbers to link, with "…" for long runs (1 2 … 7 8 9 … 19 20)."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
