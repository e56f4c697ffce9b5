"""``birthday``: individual clients whose birthday falls within ``birthday_days_ahead`` days
(today included); condition the year, so the alert closes the day after."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile, rows_frame
from clients.models import Client
from core import thresholds


def next_birthday(birth: datetime.date, day: datetime.date) -> datetime.date:
    """The birthday on or after ``day``; 29 February is celebrated on 28 February in other years."""
    for year in (day.year, day.year + 1):
        try:
            candidate = birth.replace(year=year)
        except ValueError:
            candidate = datetime.date(year, 2, 28)
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")


# Days before the first of each month in a leap year (29 February included).
_LEAP_YEAR_MONTH_STARTS = np.array([0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335])


def birthday_candidates(births: pd.Series, day: datetime.date, ahead: int) -> np.ndarray:
    """A mask over ``births`` (``datetime64``, no NaT) keeping every one whose next birthday
    (``next_birthday``) is within ``ahead`` days of ``day``, and few others: the distance is
    counted in days of the year on a leap calendar, which differs from the real one by at most
    a day (29 February, present or not), and two days of margin cover that. ``next_birthday``
    then decides exactly, for about 5,000 clients instead of the whole book's 190,000 individuals
    (a Python loop over all of them took ≈ 1.5 s at 200,000 clients)."""
    born = _LEAP_YEAR_MONTH_STARTS[births.dt.month.to_numpy() - 1] + births.dt.day.to_numpy()
    today = _LEAP_YEAR_MONTH_STARTS[day.month - 1] + day.day
    return (born - today) % 366 <= ahead + 2


def run(day: datetime.date, clients: pd.DataFrame) -> dict:
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    ahead = limits["birthday_days_ahead"]
    people = clients[(clients["client_type"] == Client.ClientType.INDIVIDUAL) & clients["birth_date"].notna()]
    people = people[birthday_candidates(people["birth_date"], day, ahead)]
    rows = []
    for row in people.itertuples(index=False):
        when = next_birthday(row.birth_date.date(), day)
        if (when - day).days > ahead:
            continue
        values = {"birthday": when.isoformat(), "age": when.year - row.birth_date.year}
        rows.append(
            {
                "client_id": row.client_id,
                "advisor_id": row.advisor_id,
                "condition": str(when.year),
                "severity": Alert.Severity.INFO,
                "params": values,
                "payload": values,
            }
        )
    return reconcile(Alert.Kind.BIRTHDAY, day, rows_frame(rows))
