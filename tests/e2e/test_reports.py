"""A branch manager's report in a real browser: sign in, open Reports on the branch, drill down to
a team and see its advisors, with the charts drawn and no script errors; a screenshot of each,
and axe-core's accessibility rules on every report page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import violations
from tests.e2e.test_workbench import sign_in
from tests.reports.book import build_book, build_days

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(db, settings):
    made = build_book()
    build_days()
    return made


def test_a_branch_manager_drills_down_from_the_branch_to_a_team(page, book):
    sign_in(page, "manager")
    page.goto(page.base_url + "/")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")

    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.locator("#report-title")).to_have_text("SH01")
    expect(page.locator('[data-kpi="clients"]')).to_have_text("4")
    expect(page.locator('[data-kpi="assets"]')).to_have_text("¥4,500.00")
    table = page.locator("#table-drilldown")
    expect(table.locator("tfoot")).to_contain_text("4,500.00")
    expect(page.locator("#trend-assets-chart")).to_be_visible()
    page.wait_for_function("() => Chart.getChart('trend-assets-chart') !== undefined")
    screenshot(page, "reports-branch")
    assert violations(page) == []

    table.get_by_role("link", name="SH01T1").click()
    expect(page.locator("#report-title")).to_have_text("SH01T1")
    expect(page.get_by_role("navigation", name="Org tree")).to_contain_text("SH01")
    rows = page.locator("#table-drilldown tbody tr")
    expect(rows).to_have_count(2)  # ann and bob
    expect(page.locator('[data-kpi="assets"]')).to_have_text("¥3,600.00")
    screenshot(page, "reports-team")

    page.emulate_media(media="print")  # the print layout: the report without the chrome
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.get_by_role("link", name="CSV")).to_be_hidden()
    expect(page.locator("#table-drilldown")).to_be_visible()
    screenshot(page, "reports-team-print")
    page.emulate_media(media="screen")
    for sub in ("rankings", "segments", "service"):
        page.goto(f"{page.base_url}/reports/SH01/{sub}/")
        assert violations(page) == [], sub
    assert page.js_errors == []
