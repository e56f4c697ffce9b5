"""Periods and their comparisons (plain date arithmetic), and the overview's KPIs for several
periods on the hand-made book."""

from __future__ import annotations

import datetime

import pytest

from reports import figures
from reports.periods import choose_period, month_ends
from tests.reports.book import NOV20, d

D = datetime.date


@pytest.mark.parametrize(
    ("kind", "on", "expected"),
    [
        # month to date against the same days of the month before
        ("month", None, (D(2026, 11, 1), D(2026, 11, 20), D(2026, 10, 1), D(2026, 10, 20))),
        # a past month whole, against the month before clamped to its own end
        ("month", D(2026, 10, 5), (D(2026, 10, 1), D(2026, 10, 31), D(2026, 9, 1), D(2026, 9, 30))),
        ("month", D(2026, 3, 31), (D(2026, 3, 1), D(2026, 3, 31), D(2026, 2, 1), D(2026, 2, 28))),
        ("quarter", None, (D(2026, 10, 1), D(2026, 11, 20), D(2026, 7, 1), D(2026, 8, 20))),
        ("year", None, (D(2026, 1, 1), D(2026, 11, 20), D(2025, 1, 1), D(2025, 11, 20))),
        ("year", D(2024, 6, 1), (D(2024, 1, 1), D(2024, 12, 31), D(2023, 1, 1), D(2023, 12, 31))),
        ("nonsense", None, (D(2026, 11, 1), D(2026, 11, 20), D(2026, 10, 1), D(2026, 10, 20))),
    ],
)
def test_calendar_periods_and_their_comparison(kind, on, expected):
    period = choose_period(kind, reference=D(2026, 11, 20), on=on)
    assert (period.start, period.end, period.previous_start, period.previous_end) == expected


def test_a_custom_period_is_compared_with_as_many_days_just_before():
    period = choose_period("custom", reference=NOV20, start=D(2026, 11, 1), end=D(2026, 11, 10))
    assert (period.previous_start, period.previous_end) == (D(2026, 10, 22), D(2026, 10, 31))
    swapped = choose_period("custom", reference=NOV20, start=D(2026, 11, 10), end=D(2026, 11, 1))
    assert (swapped.start, swapped.end) == (D(2026, 11, 1), D(2026, 11, 10))


def test_month_ends_cover_twelve_months_up_to_the_day():
    months = month_ends(D(2026, 11, 20))
    assert len(months) == 12
    assert months[0] == (D(2025, 12, 1), D(2025, 12, 31))
    assert months[-1] == (D(2026, 11, 1), D(2026, 11, 20))


def _kpis(period):
    reference, built = figures.reference_day()
    calendar = figures.calendar_for(period, reference, built)
    return figures.kpis(figures.Slice(), period, figures.as_of_days(period, calendar))


@pytest.mark.django_db
def test_month_to_date_against_the_same_days_of_october(book):
    reference, _built = figures.reference_day()
    assert reference == NOV20
    kpis = _kpis(choose_period("month", reference=reference))
    assert kpis == {
        "clients": 5,
        "clients_previous": 5,
        "assets": 8500,
        "assets_previous": 9000,
        "net_inflow": 200,
        "net_inflow_previous": 50,
        "new_clients": 1,
        "new_clients_previous": 0,
        "lost_clients": 1,
        "lost_clients_previous": 0,
        "commission": 12.5,
        "commission_previous": 0,
    }


@pytest.mark.django_db
def test_a_custom_period_reads_assets_on_its_last_snapshot_day(book):
    # 1–17 November: assets as of the 14th (the last snapshot day), against 15–31 October
    # (as of the 20th).
    kpis = _kpis(choose_period("custom", reference=NOV20, start=d(11, 1), end=d(11, 17)))
    assert (kpis["clients"], kpis["assets"]) == (6, 8390)  # c4 still on the book on the 14th, c3 too
    assert (kpis["clients_previous"], kpis["assets_previous"]) == (5, 9000)
    assert (kpis["net_inflow"], kpis["lost_clients"], kpis["net_inflow_previous"]) == (200, 1, 0)


@pytest.mark.django_db
def test_a_period_before_any_snapshot_has_no_stock_figures(book):
    kpis = _kpis(choose_period("month", reference=NOV20, on=d(9, 10)))
    assert (kpis["clients"], kpis["assets"]) == (0, 0)
