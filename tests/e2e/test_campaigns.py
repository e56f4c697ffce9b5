"""A branch manager runs a campaign in a real browser: creates it with one invalid field (the
message in place, the input kept), fixes it, builds the target list (htmx; the counts by reason
appear), starts it; the page fits a 390 px phone; no script errors."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from clients.models import Segment
from products.models import Product
from tests import factories, personas
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import violations
from tests.e2e.test_workbench import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def squeezed_headers(page) -> list[str]:
    """The visible table headers narrower than two characters of their font (text broken one
    character per line), as ``table#id: text``."""
    return page.evaluate(
        """() => [...document.querySelectorAll("table th")]
          .filter((th) => th.offsetParent !== null && th.textContent.trim().length > 1)
          .filter((th) => {
            const style = getComputedStyle(th);
            const em = parseFloat(style.fontSize);
            const inner = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return inner < 2 * em || th.getClientRects()[0].height > 2.5 * em;
          })
          .map((th) => th.closest("table").id + ": " + th.textContent.trim())"""
    )


def excluded_labels_fit(page) -> bool:
    """Every tick label of the exclusion chart's y axis is drawn inside the canvas."""
    return page.evaluate(
        """() => {
          const chart = Chart.getChart('excluded-chart');
          const y = chart.scales.y;
          const ctx = chart.ctx;
          ctx.save();
          ctx.font = Chart.helpers.toFont(y.options.ticks.font).string;
          const widest = Math.max(...y.ticks.map((tick) => {
            const lines = Array.isArray(tick.label) ? tick.label : [tick.label];
            return Math.max(...lines.map((line) => ctx.measureText(String(line)).width));
          }));
          ctx.restore();
          return widest <= y.width - y.options.ticks.padding;
        }"""
    )


@pytest.fixture
def branch_book(db):
    cast = personas.cast(factories.org_tree())
    b1 = cast.tree["b1"]
    for n in range(6):
        client = factories.ClientFactory(branch=b1, name=f"张{n}")
        personas.serve(client, cast.advisor if n % 2 else cast.colleague)
        if n < 4:
            factories.RiskAssessmentFactory(client=client)  # C3, medium horizon: fits an R3 mixed fund
    factories.ProductFactory(
        code="FUND01",
        name="稳健混合",
        status=Product.Status.ON_SALE,
        risk_level="R3",
        horizon="medium",
        variety="mixed",
    )
    Segment.objects.create(name="本营业部全部客户", criteria={}, owner=cast.manager.user, org_unit=b1)
    return cast


def test_a_branch_manager_creates_builds_and_starts_a_campaign(page, branch_book):
    today = timezone.localdate()
    sign_in(page, "manager")
    page.goto(page.base_url + "/")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")

    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="New campaign").click()
    page.fill("#id_code", "E2E-1")
    page.fill("#id_name", "Year-end fund drive")
    page.fill("#id_product_code", "NOSUCH")
    page.select_option("#id_segment", label="本营业部全部客户")
    page.select_option("#id_org_unit", label="SH01 (SH01)")
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", (today + datetime.timedelta(days=30)).isoformat())
    page.fill("#id_control_percent", "0")
    page.get_by_role("button", name="Create draft").click()

    expect(page.locator("#error-product_code")).to_contain_text("NOSUCH")
    expect(page.locator("#id_product_code")).to_have_class("form-control is-invalid")
    expect(page.locator("#id_name")).to_have_value("Year-end fund drive")
    expect(page.locator("#id_ends_on")).to_have_value((today + datetime.timedelta(days=30)).isoformat())
    assert violations(page) == []
    page.fill("#id_product_code", "FUND01")
    page.get_by_role("button", name="Create draft").click()

    expect(page.locator("#campaign-status")).to_have_text("Draft")
    page.get_by_role("button", name="Build targets").click()
    expect(page.locator("#build-counts")).to_be_visible()
    expect(page.locator('[data-count="candidates"]')).to_have_text("6")
    expect(page.locator('[data-count="targets"]')).to_have_text("4")
    expect(page.locator('#excluded-by-reason [data-reason="assessment_missing"]')).to_contain_text(
        "Risk assessment missing"
    )
    expect(page.locator('#excluded-by-reason [data-reason="assessment_missing"] td')).to_have_text("2")
    expect(page.locator("#target-list tbody tr")).to_have_count(4)  # the page's body came back with the counts
    expect(page.locator("#exclusion-list tbody tr")).to_have_count(2)
    page.wait_for_function("() => Chart.getChart('excluded-chart') !== undefined")
    screenshot(page, "campaign-built")

    page.get_by_role("button", name="Start").click()
    expect(page.locator("#campaign-status")).to_have_text("Active")
    campaign = Campaign.objects.get(code="E2E-1")
    assert campaign.status == Campaign.Status.ACTIVE and campaign.targets.count() == 4
    expect(page.locator("#target-list tbody tr")).to_have_count(4)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert squeezed_headers(page) == []
    assert page.evaluate("() => document.querySelector('#target-list th.target-reasons').offsetWidth") >= 150
    screenshot(page, "campaign-390")
    assert violations(page) == []
    for language in ("zh-hans", "en"):
        # The language menu is in the collapsed top bar at this width: submit it as it is.
        with page.expect_navigation():
            page.evaluate(
                "(l) => { const s = document.querySelector('#language'); s.value = l; s.form.submit(); }", language
            )
        page.wait_for_load_state("networkidle")
        page.wait_for_function("() => Chart.getChart('excluded-chart') !== undefined")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, language
        assert squeezed_headers(page) == [], language
        # The exclusion chart's reason labels fit its y axis (wrapped to lines, none clipped),
        # also the long ones of other builds: the chart drawn again with them.
        assert excluded_labels_fit(page), language
        page.evaluate(
            """(labels) => {
              const old = document.getElementById('excluded-chart');
              Chart.getChart(old).destroy();
              const canvas = old.cloneNode();
              old.replaceWith(canvas);
              document.getElementById('excluded-data').textContent =
                JSON.stringify({labels: labels, counts: labels.map((_, i) => 10 * (i + 1))});
              document.dispatchEvent(new Event('htmx:afterSwap'));
            }""",
            ["产品风险等级高于客户承受能力", "风险评估缺失或已过期", "Product risk level above the client's tolerance"],
        )
        page.wait_for_function("() => Chart.getChart('excluded-chart') !== undefined")
        assert excluded_labels_fit(page), language
        page.goto(page.base_url + "/campaigns/")
        expect(page.locator("#campaign-list tbody tr")).to_have_count(1)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, language
        assert squeezed_headers(page) == [], language
        assert violations(page) == []
        page.go_back()
        page.wait_for_load_state("networkidle")
    # The invalid form answered 400 (as intended), which Chromium logs; nothing else may.
    assert [error for error in page.js_errors if "status of 400" not in error] == []
