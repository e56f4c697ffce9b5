"""People, amounts and counts as the reader's language writes them: ``{{ user|person }}``,
``{{ amount|yuan }}``, ``{{ amount|money_short }}``, ``{{ n|thousands }}`` (see ``core.names``
and ``core.money``)."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core import language, money, names

register = template.Library()


@register.filter
def person(value) -> str:
    """A user by name, surname first for Chinese names ("张鑫旭"), as written for western ones
    ("Anna Smith"), else the username; a name stored whole (a string) with stray spaces between
    Chinese characters dropped."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return names.display_name(value)
    return names.user_name(value)


@register.filter
def yuan(value, places: int = 2) -> str:
    """An exact amount with the currency sign: ``¥1,234,567.89``."""
    return money.yuan(value, int(places))


@register.filter
def money_short(value, places: int = 0) -> str:
    """A card's figure: ``¥1.43亿`` / ``¥649.7万`` in Chinese, ``¥143.3M`` in English, exact
    below one 万 (one million in English) with ``places`` decimals."""
    return money.short_yuan(value, get_language() or "", int(places))


@register.filter
def thousands(value) -> str:
    """A count grouped by thousands, ``147,534`` — for counts shown to people (badges, totals),
    never for ids in attributes or URLs. Inside a plural sentence: ``{% blocktranslate count
    counter=n with shown=n|thousands %}{{ shown }} client{% plural %}…``."""
    if value is None or value == "":
        return ""
    return money.grouped(str(value), 0)  # str: the navigation badge's count is lazy


@register.simple_tag
def colon() -> str:
    """The colon after a label: full-width with no space in Chinese (上月：), ": " in English."""
    return "：" if language.chinese() else ": "


@register.filter
def listing(items) -> str:
    """Items in a run (``a, b``): joined by 、 in Chinese. Each item is escaped."""
    return mark_safe(language.listing(conditional_escape(item) for item in items))


@register.filter
def clauses(items) -> str:
    """Clauses in a run (``a; b``): joined by ； in Chinese. Each clause is escaped."""
    return mark_safe(language.clauses(conditional_escape(item) for item in items))
