"""Text in the reader's language, for data that carries both (a questionnaire's English and Chinese
wording) and for reference data shipped in English whose names the catalogue translates."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language, gettext, gettext_noop


def chinese() -> bool:
    """Whether the reader reads Chinese (the active language, else the site's)."""
    return (get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


def listing(items) -> str:
    """Items in a run: ``a, b`` in English, ``a、b`` in Chinese."""
    return ("、" if chinese() else ", ").join(items)


def clauses(items) -> str:
    """Clauses in a run: ``a; b`` in English, ``a；b`` in Chinese."""
    return ("；" if chinese() else "; ").join(items)


def in_language(english: str, chinese: str) -> str:
    """The Chinese text when the page is in Chinese and one exists, else the English."""
    return chinese if chinese and (get_language() or "").lower().startswith("zh") else english


# The names the default trading calendar ships with (core/migrations/0003): rows keep them as
# stored; pages show them through the catalogue. A name operations type themselves shows as typed.
HOLIDAY_NAMES = (
    gettext_noop("New Year's Day"),
    gettext_noop("Spring Festival"),
    gettext_noop("Qingming Festival"),
    gettext_noop("Labour Day"),
    gettext_noop("Dragon Boat Festival"),
    gettext_noop("Mid-Autumn Festival"),
    gettext_noop("National Day"),
)


def shipped_name(name: str) -> str:
    """A shipped reference name in the reader's language; any other name as stored."""
    return gettext(name) if name in HOLIDAY_NAMES else name
