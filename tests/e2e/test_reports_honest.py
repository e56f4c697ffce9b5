"""Reports that never mislead, in a real browser (issue 27, point 5): a branch manager opens the
year with no figures for last year (the page says so instead of 0 and a percentage), the segments
tab (migration matrices that add up to the mixes, the lost client's churn warning and the early
warning), the rankings (an empty rate says why) — in Chinese at phone width and in English; an
advisor is refused a unit's report."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_accessibility import violations
from tests.reports.book import build_book, build_days

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(db, settings):
    made = build_book()
    build_days()
    return made


def test_a_branch_manager_sees_no_comparison_where_there_is_none_and_reasons_for_empty_rates(page, book):
    sign_in(page, "manager", "en")
    page.goto(page.base_url + "/reports/SH01/?period=year&on=2026-11-20")
    expect(page.locator("#no-comparison")).to_have_text("no data for the comparison period")
    expect(page.locator('[data-comparison="lost_clients"]')).to_have_text("no data for the comparison period")
    expect(page.locator("#coverage-note")).to_contain_text("figures only from")
    expect(page.locator('[data-note="trend-months"]')).to_contain_text("No figures for 2025-12")
    page.wait_for_function("() => Chart.getChart('trend-clients-chart') !== undefined")
    cards = page.locator(".kpis").inner_text()
    assert "%" not in cards
    screenshot(page, "reports-year-no-comparison")

    page.goto(page.base_url + "/reports/SH01/segments/")
    expect(page.locator("#early-warning")).to_contain_text("1 of 1 lost client had a churn warning before the loss")
    moves = page.locator("#table-stage_moves")
    expect(moves.locator("thead")).to_contain_text("Left the book")
    expect(moves.locator("tbody tr", has_text="Joined the book")).to_be_visible()
    expect(page.locator("#table-churned")).to_contain_text("net outflow 80% in 30 days")
    screenshot(page, "reports-segments-honest")
    assert violations(page) == []

    page.goto(page.base_url + "/reports/SH01/rankings/")
    cat = page.locator("#table-rankings tbody tr", has_text="CAT")
    expect(cat).to_contain_text("no alert due")
    expect(cat).to_contain_text("no ticket resolved")
    expect(cat).to_contain_text("no score given")
    title = page.locator("#table-rankings thead th", has_text="Alerts worked on time").get_attribute("title")
    assert title and "three days" in title
    assert violations(page) == []
    assert page.js_errors == []


def test_in_chinese_on_a_phone_the_comparison_is_said_not_zeroed(page, book):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "manager", "zh-hans")
    page.goto(page.base_url + "/reports/SH01/?period=year&on=2026-11-20")
    expect(page.locator("#no-comparison")).to_be_visible()
    assert "%" not in page.locator(".kpis").inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing wider than the phone (tables scroll inside their card)
    screenshot(page, "reports-year-no-comparison-zh-phone")
    page.goto(page.base_url + "/reports/SH01/segments/")
    expect(page.locator("#early-warning")).to_be_visible()
    screenshot(page, "reports-segments-zh-phone")
    assert page.js_errors == []


def test_an_advisor_is_refused_a_units_segments(page, book):
    sign_in(page, "ann")
    response = page.goto(page.base_url + "/reports/SH01/segments/")
    assert response.status == 404
