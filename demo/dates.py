"""The trading calendar the demo data lives on.

Trading days are weekdays that are not a ``TradingHoliday``. The window runs from the first day
of the month 24 months before the as-of month to the as-of day, so that the 24 month ends the
positions need fall inside it. All dates of the demo are derived from the as-of day; only the
default as-of day comes from the wall clock (``default_as_of``: the last trading day before
today), so a given ``--as-of`` always produces the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from core.dates import add_months
from core.models import TradingHoliday

WINDOW_MONTHS = 24
# Positions and balances are in the extract for every month end of the window and for each of
# the last DAILY_POSITION_DAYS trading days (the nightly's snapshots, the month's figures and
# the 20-day tier average read them).
DAILY_POSITION_DAYS = 22


def as_of_argument(value: str) -> dt.date:
    """``--as-of YYYY-MM-DD`` of the demo's commands (argparse ``type=``)."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r}: expected YYYY-MM-DD") from exc


def default_as_of(today: dt.date, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The last trading day before ``today`` (weekends and trading holidays skipped)."""
    closed = set(holidays)
    day = today - dt.timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day -= dt.timedelta(days=1)
    return day


def holidays_between(start: dt.date, end: dt.date, using: str = "default") -> list[dt.date]:
    return list(TradingHoliday.objects.using(using).filter(date__range=(start, end)).values_list("date", flat=True))


def resolve_as_of(as_of: dt.date | None, using: str = "default") -> dt.date:
    """``as_of``, or the last trading day before today (the trading calendar's holidays read)."""
    if as_of is not None:
        return as_of
    today = timezone.localdate()
    return default_as_of(today, holidays_between(today - dt.timedelta(days=30), today, using))


def to_day(values) -> np.ndarray:
    """Anything date-like → ``datetime64[D]``."""
    return np.asarray(values, dtype="datetime64[D]")


@dataclass(frozen=True)
class TradingCalendar:
    """The window's trading days and the dates positions and snapshots are taken on.

    Indices refer to ``days``; ``days[-1]`` is the as-of day.
    """

    days: np.ndarray  # datetime64[D], ascending
    month_end_idx: np.ndarray  # last trading day of each of the 24 months before the as-of month
    position_idx: np.ndarray  # month ends + the last trading days: the extract's positions and balances

    @property
    def n(self) -> int:
        return len(self.days)

    @property
    def as_of(self) -> dt.date:
        return self.days[-1].astype(dt.date)

    @property
    def position_days(self) -> list[dt.date]:
        """The days the extract has positions and balances for, ascending (the as-of day last)."""
        return [d.astype(dt.date) for d in self.days[self.position_idx]]

    @property
    def start(self) -> dt.date:
        return self.days[0].astype(dt.date)

    def on_or_after(self, dates) -> np.ndarray:
        """Index of the first trading day on or after each date (``n`` when none)."""
        return np.searchsorted(self.days, to_day(dates), side="left")

    def on_or_before(self, dates) -> np.ndarray:
        """Index of the last trading day on or before each date (-1 when none)."""
        return np.searchsorted(self.days, to_day(dates), side="right") - 1


def weekdays(start: dt.date, end: dt.date, holidays: Iterable[dt.date] = ()) -> np.ndarray:
    """Trading days from ``start`` to ``end`` inclusive."""
    days = np.arange(to_day(start), to_day(end) + np.timedelta64(1, "D"), dtype="datetime64[D]")
    days = days[np.is_busday(days)]
    holidays = to_day(sorted(holidays)) if holidays else None
    if holidays is not None and len(holidays):
        days = days[~np.isin(days, holidays)]
    return days


def build_calendar(as_of: dt.date, holidays: Iterable[dt.date] = ()) -> TradingCalendar:
    """The calendar for ``as_of``; a weekend or holiday as-of moves back to the trading day before."""
    holidays = set(holidays)
    start = add_months(as_of.replace(day=1), -WINDOW_MONTHS)
    days = weekdays(start, as_of, holidays)
    if len(days) < 300:
        raise ValueError(f"too few trading days before {as_of}")
    months = days.astype("datetime64[M]")
    # The last trading day of every month but the as-of day's own.
    last_of_month = np.flatnonzero(months[1:] != months[:-1])
    month_end_idx = last_of_month[-WINDOW_MONTHS:]
    last = len(days) - 1
    daily = np.arange(max(0, last - DAILY_POSITION_DAYS + 1), last + 1)
    position_idx = np.union1d(daily, month_end_idx)
    return TradingCalendar(days=days, month_end_idx=month_end_idx, position_idx=position_idx)
