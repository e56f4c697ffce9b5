"""SLA clock arithmetic (服务时限): due times from an ``SlaPolicy``'s hours on a business-hours
and trading-day calendar.

Plain functions over values: ``BusinessCalendar`` holds the opening hours, the time zone and the
exchange holidays, and knows nothing of the database; ``business_calendar()`` builds one from the
settings and the ``TradingHoliday`` table.

- Business time runs from ``TICKETS_BUSINESS_HOURS`` (default 09:00–17:00) in
  ``TICKETS_BUSINESS_TIMEZONE`` (default ``TIME_ZONE``, Asia/Shanghai) on trading days: Monday
  to Friday, except the ``TradingHoliday`` dates. A ticket opened at 16:00 on a Friday with
  a 2-hour response time is due at 10:00 on the next trading day.
- Complaints run on calendar time when ``TICKETS_COMPLAINTS_CALENDAR_TIME`` is on (the default):
  a client's complaint does not wait for the exchange to open, and complaint deadlines are
  counted in natural days.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# A calendar with no trading day within this many days is a configuration error, not a reason
# to loop for ever.
_MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours on trading days in one time zone."""

    opens: datetime.time = datetime.time(9, 0)
    closes: datetime.time = datetime.time(17, 0)
    tz: datetime.tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    holidays: frozenset[datetime.date] = frozenset()

    def __post_init__(self):
        if self.closes <= self.opens:
            raise ImproperlyConfigured("business hours must close after they open")

    def is_trading_day(self, day: datetime.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def _hours_of(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
        return (
            datetime.datetime.combine(day, self.opens, tzinfo=self.tz),
            datetime.datetime.combine(day, self.closes, tzinfo=self.tz),
        )

    def add(self, start: datetime.datetime, hours: float) -> datetime.datetime:
        """``hours`` of business time after ``start`` (aware). Time outside business hours does
        not count: a start before opening counts from the opening, after closing from the next
        trading day's opening."""
        remaining = datetime.timedelta(hours=hours)
        cursor = start.astimezone(self.tz)
        day = cursor.date()
        for _ in range(_MAX_DAYS):
            if self.is_trading_day(day):
                opening, closing = self._hours_of(day)
                begin = max(cursor, opening)
                if begin < closing or remaining == datetime.timedelta(0):
                    if begin + remaining <= closing:
                        return begin + remaining
                    remaining -= closing - begin
            day += datetime.timedelta(days=1)
            cursor = datetime.datetime.combine(day, datetime.time(0), tzinfo=self.tz)
        raise ImproperlyConfigured(f"no trading day within {_MAX_DAYS} days of {start:%Y-%m-%d}")

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Business time from ``start`` to ``end`` (zero if ``end`` is not after ``start``)."""
        total = datetime.timedelta(0)
        if end <= start:
            return total
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        day = start.date()
        while day <= end.date():
            if self.is_trading_day(day):
                opening, closing = self._hours_of(day)
                overlap = min(end, closing) - max(start, opening)
                if overlap > datetime.timedelta(0):
                    total += overlap
            day += datetime.timedelta(days=1)
        return total


@dataclass(frozen=True)
class DueTimes:
    response: datetime.datetime
    resolution: datetime.datetime


def due_times(
    opened_at: datetime.datetime,
    *,
    response_hours: float,
    resolution_hours: float,
    calendar: BusinessCalendar,
    calendar_time: bool = False,
) -> DueTimes:
    """When the first response and the resolution are due for a ticket opened at ``opened_at``:
    on ``calendar`` business time, or on the wall clock when ``calendar_time``."""
    if calendar_time:
        return DueTimes(
            response=opened_at + datetime.timedelta(hours=response_hours),
            resolution=opened_at + datetime.timedelta(hours=resolution_hours),
        )
    return DueTimes(
        response=calendar.add(opened_at, response_hours), resolution=calendar.add(opened_at, resolution_hours)
    )


def extend_for_pause(
    due: datetime.datetime,
    paused_from: datetime.datetime,
    paused_until: datetime.datetime,
    *,
    calendar: BusinessCalendar,
    calendar_time: bool = False,
) -> datetime.datetime:
    """The due time moved on by the time the clock was paused (waiting for the client)."""
    if calendar_time:
        return due + max(paused_until - paused_from, datetime.timedelta(0))
    paused = calendar.between(paused_from, paused_until)
    return calendar.add(due, paused.total_seconds() / 3600) if paused else due


def parse_business_hours(value: str) -> tuple[datetime.time, datetime.time]:
    """``"09:00-17:00"`` → (09:00, 17:00); a bad value fails loudly."""
    try:
        opens, closes = (datetime.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"TICKETS_BUSINESS_HOURS={value!r}: expected HH:MM-HH:MM") from exc
    return opens, closes


def business_calendar(from_day: datetime.date | None = None) -> BusinessCalendar:
    """The configured calendar with the exchange holidays from ``from_day`` on (all if None)."""
    from core.models import TradingHoliday

    opens, closes = parse_business_hours(settings.TICKETS_BUSINESS_HOURS)
    holidays = TradingHoliday.objects.all()
    if from_day is not None:
        holidays = holidays.filter(date__gte=from_day - datetime.timedelta(days=1))
    return BusinessCalendar(
        opens=opens,
        closes=closes,
        tz=ZoneInfo(settings.TICKETS_BUSINESS_TIMEZONE),
        holidays=frozenset(holidays.values_list("date", flat=True)),
    )


def runs_on_calendar_time(*, is_complaint: bool) -> bool:
    return is_complaint and settings.TICKETS_COMPLAINTS_CALENDAR_TIME
