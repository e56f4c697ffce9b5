"""The period a report covers and the one it is compared with — plain date arithmetic.

- **month / quarter / year**: the calendar month (quarter, year) containing ``on``, from its
  first day to its last or to the reference day (the last day with built aggregates), whichever
  comes first — "month to date" by default. It is compared with the previous month (quarter,
  year) from its first day over the same number of days (1–20 November against 1–20 October),
  clamped to that period's end.
- **custom**: from ``start`` to ``end`` inclusive, compared with the same number of days just
  before ``start``.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.dates import add_months

KINDS = {
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "custom": _("Custom"),
}
DEFAULT_KIND = "month"


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date
    previous_start: datetime.date
    previous_end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def calendar_end(self) -> datetime.date:
        """The last day of the calendar month (quarter, year) — past the reference day for a
        period to date; a custom period's own end."""
        return self.end if self.kind == "custom" else _calendar_end(self.kind, self.start)


def _calendar_start(kind: str, day: datetime.date) -> datetime.date:
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return datetime.date(day.year, 1, 1)


def _months(kind: str) -> int:
    return {"month": 1, "quarter": 3, "year": 12}[kind]


def _calendar_end(kind: str, start: datetime.date) -> datetime.date:
    last = add_months(start, _months(kind) - 1)
    return last.replace(day=calendar.monthrange(last.year, last.month)[1])


def choose_period(
    kind: str | None,
    *,
    reference: datetime.date,
    on: datetime.date | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Period:
    """The period of ``kind`` around ``on`` (default: the reference day), or from ``start`` to
    ``end`` for a custom period; unknown kinds fall back to month to date."""
    if kind == "custom" and start and end:
        if end < start:
            start, end = end, start
        length = (end - start).days + 1
        previous_end = start - datetime.timedelta(days=1)
        return Period("custom", start, end, previous_end - datetime.timedelta(days=length - 1), previous_end)
    if kind not in ("month", "quarter", "year"):
        kind = DEFAULT_KIND
    on = on or reference
    first = _calendar_start(kind, on)
    last = min(_calendar_end(kind, first), max(reference, first))
    previous_first = add_months(first, -_months(kind))
    previous_last = min(
        previous_first + datetime.timedelta(days=(last - first).days), _calendar_end(kind, previous_first)
    )
    return Period(kind, first, last, previous_first, previous_last)


def month_ends(end: datetime.date, months: int = 12) -> list[tuple[datetime.date, datetime.date]]:
    """``[(first day, last day)]`` of the ``months`` calendar months up to the one containing
    ``end`` (that one cut at ``end``), oldest first."""
    out = []
    first = end.replace(day=1)
    for back in range(months - 1, -1, -1):
        start = add_months(first, -back)
        out.append((start, min(_calendar_end("month", start), end)))
    return out
