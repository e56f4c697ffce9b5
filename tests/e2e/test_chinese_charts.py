"""Charts speak the page's language in a real Chromium: in Chinese the axes and tooltips write
amounts in 万/亿 with ¥ and months as 2026年11月; in English ¥143.3M and Nov 2026 — the same
figures the cards print (core.money)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_workbench import sign_in
from tests.reports.book import build_book, build_days

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIGURES = "() => [143266282, 6497460.19, -3000000].map(CrmCharts.yuanTip).concat([CrmCharts.yuanAxis(54000000)])"


@pytest.fixture
def book(db, settings):
    made = build_book()
    build_days()
    return made


def _chart_labels(page, canvas: str) -> list[str]:
    page.wait_for_function(f"() => Chart.getChart('{canvas}') !== undefined")
    return page.evaluate(
        f"""() => {{
            const chart = Chart.getChart('{canvas}');
            return [chart.data.labels, chart.scales.y.ticks.map((tick) => tick.label)];
        }}"""
    )


def test_report_charts_write_amounts_in_wan_and_yi_and_months_in_chinese(page, book):
    sign_in(page, "manager")
    page.goto(page.base_url + "/")
    page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    page.goto(page.base_url + "/reports/SH01/")
    expect(page.locator('[data-kpi="assets"]')).to_have_text("¥4,500.00")  # below 1万: exact
    months, ticks = _chart_labels(page, "trend-assets-chart")
    assert months and all(re.fullmatch(r"\d{4}年\d{1,2}月", month) for month in months), months
    assert ticks and all(tick.startswith(("¥", "-¥")) for tick in ticks), ticks
    assert page.evaluate(FIGURES) == ["¥1.43亿", "¥649.7万", "-¥300万", "¥5400万"]
    _months, counts = _chart_labels(page, "trend-clients-chart")
    assert not any("¥" in tick for tick in counts)  # clients are counted, not money
    screenshot(page, "reports-branch-zh")
    assert page.js_errors == []


def test_report_charts_write_millions_and_english_months_in_english(page, book):
    sign_in(page, "manager")
    page.goto(page.base_url + "/")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")
    page.goto(page.base_url + "/reports/SH01/")
    months, ticks = _chart_labels(page, "trend-assets-chart")
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", month) for month in months), months
    assert ticks and all(tick.startswith(("¥", "-¥")) for tick in ticks), ticks
    assert page.evaluate(FIGURES) == ["¥143.3M", "¥6.5M", "-¥3M", "¥54M"]
    assert page.js_errors == []
