"""Calendar arithmetic shared across apps."""

from __future__ import annotations

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar months later (or earlier), the day clamped to the month's end:
    29 Feb 2024 + 24 months → 28 Feb 2026; 31 Jan + 1 month → 28/29 Feb."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
