"""Template helpers for suitability: a reason's message in the page's language, outcome styles."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.utils.translation import get_language

from suitability.reasons import Reason, record_message

register = template.Library()

OUTCOME_BADGES = {"match": "text-bg-success", "mismatch_confirmable": "text-bg-warning", "prohibited": "text-bg-danger"}


@register.filter
def reason_text(reason) -> str:
    """A ``Reason`` (from the rules) or a stored reason (``{code, en, zh}``) in the page's language."""
    if isinstance(reason, Reason):
        return reason.message(get_language())
    return record_message(reason, get_language())


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


@register.simple_tag
def shelf_query(query: dict, page_number) -> str:
    """The shelf's search (``q``, ``type``, ``outcome``; empty ones left out) with a page number,
    as a URL query string: the page links keep the search."""
    return urlencode({**{key: value for key, value in query.items() if value}, "page": page_number})


@register.filter
def shelf_page_range(page):
    """The page numbers to link, with "…" for long runs (1 2 … 7 8 9 … 19 20)."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
