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


@pytest.fixture
def narrow_client(tree):
    """A client whose assets moved little over the year: ¥121.0万–¥122.2万, a narrow axis."""
    import datetime

    from django.utils import timezone

    from clients.models import AssetSnapshot
    from tests import factories, personas

    advisor = personas.staff("chart.advisor", tree["t1"], ["advisor"], first_name="Min", last_name="Zhou")
    client = factories.ClientFactory(branch=tree["b1"], name="钱稳")
    personas.serve(client, advisor)
    today = timezone.localdate()
    AssetSnapshot.objects.bulk_create(
        AssetSnapshot(
            client=client,
            as_of=today - datetime.timedelta(days=days),
            total_assets=1_210_000 + (days * 37) % 12_000,
            cash=10_000,
            securities=1_200_000 + (days * 37) % 12_000,
        )
        for days in range(0, 360, 7)
    )
    return client


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_narrow_money_axis_writes_distinct_ticks(page, narrow_client, lang):
    from tests.e2e.test_shelf import open_as

    open_as(page, lang, 1280, "chart.advisor")
    page.goto(f"{page.base_url}/clients/{narrow_client.pk}/")
    _days, ticks = _chart_labels(page, "client-assets-chart")
    assert len(ticks) >= 3, ticks
    assert len(set(ticks)) == len(ticks), ticks  # not ¥122万 ×3 (¥1.22M ×4)
    unit = "万" if lang == "zh-hans" else "M"
    assert all(tick.startswith("¥") and tick.endswith(unit) for tick in ticks), ticks
    # Wide ranges keep three digits: ¥5400万 / ¥54M.
    assert page.evaluate("() => CrmCharts.yuanAxis(54000000)") == ("¥5400万" if lang == "zh-hans" else "¥54M")
    screenshot(page, f"client-chart-narrow-{lang}")
    assert page.js_errors == []
