"""The SLA clock: business hours on trading days (weekends and exchange holidays skipped),
complaints on calendar time, the pause while waiting for the client."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import Threshold, TradingHoliday
from tests.tickets.conftest import SHANGHAI, at, open_ticket, user_of
from tickets import sla

CAL = sla.BusinessCalendar(tz=SHANGHAI, holidays=frozenset({datetime.date(2026, 10, 1), datetime.date(2026, 10, 2)}))


def test_hours_inside_one_business_day_are_added_as_is():
    assert CAL.add(at(20, 10), 2) == at(20, 12)


def test_time_after_closing_runs_on_from_the_next_trading_days_opening():
    # Friday 16:00 + 2 h → 1 h on Friday, 1 h on Monday.
    assert CAL.add(at(20, 16), 2) == at(23, 10)


def test_a_start_before_opening_counts_from_the_opening():
    assert CAL.add(at(20, 7, 30), 1) == at(20, 10)


def test_a_start_on_a_weekend_counts_from_monday_morning():
    assert CAL.add(at(21, 15), 8) == at(23, 17)


def test_exchange_holidays_are_skipped():
    # Wednesday 30 Sep 16:00 + 2 h: 1 h that day, then Thu 1 and Fri 2 Oct are holidays, the
    # weekend follows → Monday 5 Oct 10:00.
    assert CAL.add(at(30, 16, month=9), 2) == at(5, 10, month=10)


def test_forty_business_hours_are_a_working_week():
    assert CAL.add(at(23, 9), 40) == at(27, 17)


def test_business_time_between_two_moments_skips_nights_and_weekends():
    assert CAL.between(at(20, 16), at(23, 10)) == datetime.timedelta(hours=2)
    assert CAL.between(at(23, 10), at(20, 16)) == datetime.timedelta(0)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime.datetime(2026, 9, 1), max_value=datetime.datetime(2026, 12, 31), timezones=st.just(SHANGHAI)
    ),
    minutes=st.integers(min_value=1, max_value=60 * 80),
)
def test_adding_business_time_and_measuring_it_back_agree(start, minutes):
    due = CAL.add(start, minutes / 60)
    assert CAL.between(start, due) == datetime.timedelta(minutes=minutes)
    local = due.astimezone(SHANGHAI)
    assert CAL.is_trading_day(local.date())
    assert datetime.time(9) < local.time() <= datetime.time(17)


def test_calendar_time_ignores_business_hours():
    due = sla.due_times(at(20, 16), response_hours=2, resolution_hours=24, calendar=CAL, calendar_time=True)
    assert (due.response, due.resolution) == (at(20, 18), at(21, 16))


def test_a_pause_moves_the_due_time_on_by_the_business_time_paused():
    # Paused Friday 15:00 → Monday 11:00 = 2 h Friday + 2 h Monday of business time.
    moved = sla.extend_for_pause(at(24, 12), at(20, 15), at(23, 11), calendar=CAL)
    assert moved == at(24, 16)
    assert sla.extend_for_pause(at(24, 12), at(20, 15), at(20, 16), calendar=CAL, calendar_time=True) == at(24, 13)


def test_bad_business_hours_fail_loudly():
    with pytest.raises(ImproperlyConfigured):
        sla.parse_business_hours("9 to 5")
    with pytest.raises(ImproperlyConfigured):
        sla.BusinessCalendar(opens=datetime.time(17), closes=datetime.time(9))


def test_the_configured_calendar_reads_hours_zone_and_holidays(db, settings):
    settings.TICKETS_BUSINESS_HOURS = "08:30-16:30"
    TradingHoliday.objects.update_or_create(date=datetime.date(2026, 11, 23), defaults={"name": "Test closure"})
    calendar = sla.business_calendar(datetime.date(2026, 11, 20))
    assert (calendar.opens, calendar.closes) == (datetime.time(8, 30), datetime.time(16, 30))
    assert not calendar.is_trading_day(datetime.date(2026, 11, 23))
    assert calendar.add(at(20, 16), 2) == at(24, 10)  # Friday 16:00 + 2 h, Monday closed


def test_an_inquiry_gets_due_times_from_its_sla_policy_on_business_time(world, clock):
    cast, clients = world
    clock.move_to(at(20, 16))  # Friday 16:00
    ticket = open_ticket(clients["mine"], "inquiry", by=user_of(cast, "advisor"))
    # Policy inquiry × mass: 8 h response, 24 h resolution, priority normal.
    assert ticket.priority == "normal"
    assert ticket.response_due_at == at(23, 16)  # 1 h on Friday, 7 h on Monday
    assert ticket.resolution_due_at == at(25, 16)  # 1 + 8 + 8 + 7


def test_a_complaint_runs_on_calendar_time_by_default(world, clock, settings):
    cast, clients = world
    clock.move_to(at(20, 16))
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    # Policy complaint × mass: 4 h response, 40 h resolution, priority high.
    assert ticket.priority == "high"
    assert (ticket.response_due_at, ticket.resolution_due_at) == (at(20, 20), at(22, 8))

    settings.TICKETS_COMPLAINTS_CALENDAR_TIME = False
    on_business_time = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    assert on_business_time.response_due_at == at(23, 12)


def test_the_client_tier_picks_the_policy(world, clock):
    cast, clients = world
    client = clients["mine"]
    client.tier = "uhnw"
    client.save(update_fields=["tier"])
    ticket = open_ticket(client, "inquiry", by=user_of(cast, "advisor"))
    # inquiry × uhnw: 2 h / 8 h, high.
    assert ticket.priority == "high"
    assert (ticket.response_due_at, ticket.resolution_due_at) == (at(20, 12), at(23, 10))


def test_a_kind_without_a_policy_uses_the_configured_default_hours(world, clock, settings):
    from tickets.models import TicketKind

    cast, clients = world
    TicketKind.objects.create(code="callback", name="Callback", name_zh="回访")
    Threshold.objects.update_or_create(key="ticket_default_response_hours", defaults={"value": "1"})
    Threshold.objects.update_or_create(key="ticket_default_resolution_hours", defaults={"value": "3"})
    ticket = open_ticket(clients["mine"], "callback", by=user_of(cast, "advisor"))
    assert (ticket.priority, ticket.response_due_at, ticket.resolution_due_at) == ("normal", at(20, 11), at(20, 13))
