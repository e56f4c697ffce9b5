"""Structured values (JSON fields) read as a page in the admin, in the reader's language.

Records keep figures, counts and codes as JSON (a nightly run's step statistics, an alert's
parameters, an import's row counts). Django's admin shows such a field as its JSON text: English
keys, braces, amounts in cents. Here it is a small labelled table instead:

- a mapping is a two-column table, each key by its label (``labels``: key → ``gettext_lazy``
  text) and each value formatted for the reader (``formats``: key → a function of the value);
  a key with no label is humanised (``row_counts`` → "Row counts") and still goes through the
  catalogue, so a key the catalogue knows reads in the reader's language;
- a value with no format of its own: numbers grouped by thousands (``12,345``), ISO dates and
  times in the language's format, booleans as yes/no (是/否), lists joined by the language's
  separator, a nested mapping as a nested table with the same labels;
- ``rows`` is a list of mappings as a table with a header row.

Every function returns safe HTML (values escaped) for an ``@admin.display`` method. This module
knows no domain app: each admin passes its own labels and formats (codes by their choices'
labels, reasons by the domain's own texts).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.admin.utils import unquote
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext

from core import money

Format = Callable[[Any], Any]
DASH = "—"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def separator() -> str:
    """Between the items of a list: 、 in Chinese, a comma in English."""
    return "、" if chinese() else ", "


# --- Values -------------------------------------------------------------------------------------


def yes_no(value: Any) -> str:
    return gettext("Yes") if value else gettext("No")


def number(value: Any, places: int | None = None) -> str:
    """``12,345``; a fraction with up to ``places`` decimals (4 by default), trailing zeros off."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int) and places is None:
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not amount.is_finite():
        return str(value)
    decimals = 4 if places is None else places
    text = formats.number_format(round(amount, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True)
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def yuan(value: Any) -> str:
    """An amount in yuan: ``¥1,234,567.89``."""
    return money.yuan(value)


def cents(value: Any) -> str:
    """An amount stored in cents, as yuan: ``¥1,234,567.89``."""
    if value is None or value == "":
        return DASH
    return money.yuan(Decimal(str(value)) / 100)


def percent(value: Any) -> str:
    """A whole percentage stored as a number (``41`` → ``41%``)."""
    return DASH if value is None or value == "" else f"{number(value)}%"


def share(value: Any) -> str:
    """A share stored as a fraction of one (``0.2778`` → ``27.8%``)."""
    if value is None or value == "":
        return DASH
    try:
        shown = number(Decimal(str(value)) * 100, 1)
    except ArithmeticError:
        return str(value)
    return f"{shown[:-2] if shown.endswith(('.0', ',0')) else shown}%"


def seconds(value: Any) -> str:
    return DASH if value is None else gettext("%(seconds)s s") % {"seconds": number(value, 2)}


def day(value: Any) -> str:
    """A date (or an ISO date string) in the language's short format."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        parsed = parse_date(value) if _DATE.match(value) else None
        if parsed is None:
            return value
        value = parsed
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def moment(value: Any) -> str:
    """A date and time (or an ISO string) in the reader's time zone and format."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def choice(labels: Mapping[str, Any]) -> Format:
    """A code by its label (``labels``: a choices' ``dict(X.choices)``); an unknown code as is."""

    def shown(value: Any) -> str:
        if value is None or value == "":
            return DASH
        return str(labels.get(value, value))

    return shown


def each(item: Format) -> Format:
    """A list whose items are formatted by ``item``, joined by the language's separator."""

    def shown(values: Any) -> str:
        if not values:
            return DASH
        if not isinstance(values, list | tuple):
            return str(item(values))
        return separator().join(str(item(value)) for value in values)

    return shown


def bilingual(record: Any) -> str:
    """A stored text kept in both languages (``{"en": …, "zh": …}``, as suitability records its
    reasons) in the reader's."""
    if not isinstance(record, Mapping):
        return str(record)
    return str(record.get("zh" if chinese() else "en") or record.get("message") or record.get("code") or "")


def text(value: Any) -> Any:
    """Any value with no format of its own: a number grouped, a date in the language's format,
    a boolean as yes/no, a list joined, a mapping as a nested table (keys humanised)."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float | Decimal):
        return number(value)
    if isinstance(value, datetime.datetime):
        return moment(value)
    if isinstance(value, datetime.date):
        return day(value)
    if isinstance(value, str):
        if _DATE.match(value):
            return day(value)
        if _DATETIME.match(value):
            return moment(value)
        return value
    if isinstance(value, Mapping):
        return table(value)
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping | list | tuple) for item in value):
            return items(value)
        return separator().join(str(text(item)) for item in value) or DASH
    return str(value)


def humanise(key: Any) -> str:
    """A key with no label: its words, through the catalogue (``row_counts`` → "Row counts")."""
    words = str(key).replace("_", " ").replace(":", " ").strip()
    return gettext(capfirst(words)) if words else DASH


# --- Layouts ------------------------------------------------------------------------------------


def _label(key: Any, labels: Mapping[str, Any] | Callable[[Any], Any] | None) -> str:
    if callable(labels):
        found = labels(key)
        return str(found) if found is not None else humanise(key)
    if labels and key in labels:
        return capfirst(str(labels[key]))
    return humanise(key)


def table(
    mapping: Mapping[str, Any] | None,
    labels: Mapping[str, Any] | Callable[[Any], Any] | None = None,
    formats: Mapping[str, Format] | None = None,
    *,
    order: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> SafeString | str:
    """A mapping as a two-column table (label → value); keys in ``order`` first, then the others
    in their stored order; ``skip`` left out. A nested mapping is a nested table with the same
    labels and formats (so a per-rule ``{"raised": 3}`` reads "Raised 3" wherever it sits)."""
    if not mapping:
        return DASH
    if not isinstance(mapping, Mapping):
        return text(mapping)
    formats = formats or {}
    skipped = set(skip)
    ordered = [key for key in order if key in mapping and key not in skipped]
    keys = ordered + [key for key in mapping if key not in ordered and key not in skipped]
    rows = []
    for key in keys:
        value = mapping[key]
        if key in formats:
            shown = formats[key](value)
        elif isinstance(value, Mapping):
            shown = table(value, labels, formats)
        else:
            shown = text(value)
        rows.append((_label(key, labels), shown))
    if not rows:
        return DASH
    return format_html(
        '<div class="crm-readout"><table><tbody>{}</tbody></table></div>',
        format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows),
    )


def rows(
    records: Iterable[Mapping[str, Any]] | None,
    columns: Iterable[tuple[str, Any, Format | None]],
) -> SafeString | str:
    """A list of mappings as a table: ``columns`` are ``(key, label, format or None)``."""
    records = [record for record in records or [] if isinstance(record, Mapping)]
    if not records:
        return DASH
    columns = list(columns)
    header = format_html_join("", "<th>{}</th>", ((capfirst(str(label)),) for _key, label, _f in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html_join(
                    "",
                    "<td>{}</td>",
                    ((fmt(record.get(key)) if fmt else text(record.get(key)),) for key, _label, fmt in columns),
                ),
            )
            for record in records
        ),
    )
    return format_html(
        '<div class="crm-readout"><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>', header, body
    )


def items(values: Iterable[Any] | None, item: Format = text) -> SafeString | str:
    """A list as a bulleted list, each item formatted by ``item``; one item alone as it is."""
    values = list(values or [])
    if not values:
        return DASH
    if len(values) == 1:  # one item needs no bullet
        return format_html("{}", item(values[0]))
    return format_html(
        '<ul class="crm-readout">{}</ul>', format_html_join("", "<li>{}</li>", ((item(value),) for value in values))
    )


def joined(parts: Iterable[Any]) -> SafeString:
    """Several rendered parts one under another."""
    return mark_safe("".join(str(format_html('<div class="crm-readout-part">{}</div>', part)) for part in parts))


class RecordTitleMixin:
    """A change page titled by ``record_title(obj)`` — the record in words in the reader's
    language — in the page's title and breadcrumbs, where a model's ``__str__`` is made of ids
    and codes ("2 ✕ 11 (horizon)", "2026-12-04 published")."""

    change_form_template = "admin/crm/titled_change_form.html"

    def record_title(self, obj) -> str:
        return str(obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is not None:
            title = self.record_title(obj)
            extra_context = {**(extra_context or {}), "subtitle": title, "record_title": title}
        return super().changeform_view(request, object_id, form_url, extra_context)
