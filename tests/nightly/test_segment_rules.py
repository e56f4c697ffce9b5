"""The segmentation decision (``nightly.steps.segmentation.decide``) on hand-made facts, one rule at a time."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from nightly.steps.segmentation import decide

DAY = datetime.date(2026, 11, 20)
CTX = {
    "window_start": "2026-10-26",
    "base_date": "2026-08-20",
    "edges": [["mass", 0], ["affluent", 50_000_000], ["hnw", 600_000_000], ["uhnw", 3_000_000_000]],
    "growth_upgrade": 0.2,
    "growing": 0.1,
    "new_days": 90,
    "dormant_cash_cents": 10_000,
    "dormant_days": 3 * 365,
    "sleeping_cents": 1_000_000,
    "sleeping_days": 180,
    "active_trades": 48,
    "active_turnover": 4.0,
    "long_trades": 12,
    "long_turnover": 0.5,
    "inactive_days": 180,
}


def days_ago(n: int) -> pd.Timestamp:
    return pd.Timestamp(DAY - datetime.timedelta(days=n))


def client(**facts) -> dict:
    """A settled client: opened two years ago, 1m yuan every day of the window, traded last week,
    10 trades in the year for 200k each way."""
    row = {
        "client_id": 1,
        "status": "active",
        "opened_on": days_ago(730),
        "tier": "mass",
        "lifecycle_stage": "mature",
        "behavior_segment": "long_term",
        "sleeping": False,
        "segmented_on": days_ago(1),
        "advisor_id": 1,
        "stored_assets": 100_000_000,
        "assets_as_of": days_ago(1),
        "has_account": 1,
        "window_sum": 100_000_000 * 20,
        "window_days": 20,
        "assets": 100_000_000,
        "securities": 90_000_000,
        "cash": 10_000_000,
        "base_assets": 100_000_000,
        "last_trade": days_ago(7),
        "first_trade": days_ago(700),
        "trades": 10,
        "bought": 20_000_000,
        "sold": 20_000_000,
        "last_flow": days_ago(40),
        "first_flow": days_ago(729),
    }
    row.update(facts)
    return row


def decided(**facts) -> pd.Series:
    frame = pd.DataFrame([client(**facts)])
    for column in ("assets", "securities", "cash", "base_assets", "advisor_id"):
        frame[column] = frame[column].astype("Int64")
    return decide(frame, DAY, CTX).iloc[0]


@pytest.mark.parametrize(
    ("daily_cents", "tier"),
    [
        (49_999_999, "mass"),
        (50_000_000, "affluent"),  # lower bounds are inclusive
        (599_999_999, "affluent"),
        (600_000_000, "hnw"),
        (3_000_000_000, "uhnw"),
    ],
)
def test_the_tier_follows_the_20_day_average_with_inclusive_lower_bounds(daily_cents, tier):
    assert decided(window_sum=daily_cents * 20, window_days=20, assets=daily_cents)["new_tier"] == tier


def test_a_one_day_spike_does_not_lift_the_tier():
    # 19 days at 100k and one at 10m: the average is 595k — affluent, not high net worth.
    spike = decided(window_sum=19 * 10_000_000 + 1_000_000_000, window_days=20, assets=1_000_000_000)
    assert spike["new_tier"] == "affluent"


def test_an_average_one_cent_short_of_the_edge_stays_below_it():
    # 20 days summing to one cent less than 20 × 500,000.00: exact integer comparison, no float rounding.
    assert decided(window_sum=50_000_000 * 20 - 1, window_days=20)["new_tier"] == "mass"


def test_a_client_without_snapshots_in_the_window_is_judged_on_todays_assets():
    assert decided(window_sum=0, window_days=0, assets=700_000_000)["new_tier"] == "hnw"


@pytest.mark.parametrize(
    ("facts", "stage"),
    [
        ({"status": "closed"}, "churned"),
        ({"status": "prospect"}, "prospect"),
        ({"has_account": 0}, "prospect"),
        (
            {
                "last_trade": pd.NaT,
                "first_trade": pd.NaT,
                "last_flow": pd.NaT,
                "first_flow": pd.NaT,
                "assets": 0,
                "securities": 0,
                "cash": 0,
                "window_sum": 0,
            },  # fmt: skip
            "prospect",
        ),
        ({"status": "dormant"}, "dormant"),
        (
            {
                "securities": 0,
                "cash": 10_000,
                "assets": 10_000,
                "last_trade": days_ago(3 * 365 + 1),
                "base_assets": 10_000,
            },  # fmt: skip
            "dormant",
        ),
        ({"opened_on": days_ago(90), "base_assets": None}, "new"),
        ({"base_assets": 90_000_000}, "growing"),  # 1m against 900k: up 11%
        ({"base_assets": 0}, "growing"),
        ({"base_assets": 95_000_000}, "mature"),  # up 5%
        ({"base_assets": None}, "mature"),
    ],
)
def test_each_lifecycle_stage_has_its_definition(facts, stage):
    assert decided(**facts)["new_stage"] == stage


def test_dormant_needs_all_three_conditions():
    quiet = {"last_trade": days_ago(3 * 365 + 1), "base_assets": 10_000}
    assert decided(securities=0, cash=10_000, assets=10_000, **quiet)["new_stage"] == "dormant"
    assert decided(securities=0, cash=10_001, assets=10_001, **quiet)["new_stage"] != "dormant"  # 100.01 yuan
    assert decided(securities=1, cash=0, assets=1, **quiet)["new_stage"] != "dormant"  # holds something
    recent = {"last_trade": days_ago(3 * 365), "base_assets": 10_000}
    assert decided(securities=0, cash=0, assets=0, **recent)["new_stage"] != "dormant"  # traded 3 years ago today


def test_a_client_who_never_traded_is_dormant_three_years_after_opening():
    never = {"last_trade": pd.NaT, "first_trade": pd.NaT, "securities": 0, "cash": 5_000, "assets": 5_000}
    assert decided(opened_on=days_ago(3 * 365 + 1), **never)["new_stage"] == "dormant"
    assert decided(opened_on=days_ago(400), **never)["new_stage"] != "dormant"


@pytest.mark.parametrize(
    ("facts", "sleeping"),
    [
        ({}, False),
        ({"assets": 999_999}, True),  # under 10,000 yuan
        ({"assets": 1_000_000}, False),
        ({"last_trade": days_ago(181), "last_flow": days_ago(181)}, True),
        ({"last_trade": days_ago(181), "last_flow": days_ago(10)}, False),  # a cash flow is activity
        ({"assets": 5_000, "opened_on": days_ago(30)}, False),  # new clients are not flagged
        ({"status": "closed", "assets": 0}, False),
    ],
)
def test_the_sleeping_flag(facts, sleeping):
    assert bool(decided(**facts)["new_sleeping"]) is sleeping


@pytest.mark.parametrize(
    ("facts", "behavior"),
    [
        ({"last_trade": days_ago(181)}, "inactive"),
        ({"last_trade": pd.NaT, "trades": 0}, "inactive"),
        ({"trades": 48}, "active_trader"),
        ({"trades": 20, "bought": 450_000_000, "sold": 350_000_000}, "active_trader"),  # turnover 4.0
        ({"trades": 12, "bought": 50_000_000, "sold": 50_000_000}, "long_term"),  # turnover 0.5
        ({"trades": 13, "bought": 10_000_000, "sold": 10_000_000}, "opportunistic"),
        ({"trades": 6, "bought": 100_000_000, "sold": 100_000_000}, "opportunistic"),  # turnover 1
    ],
)
def test_each_behaviour_segment_has_its_definition(facts, behavior):
    assert decided(**facts)["new_behavior"] == behavior
