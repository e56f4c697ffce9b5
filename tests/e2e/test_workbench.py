"""An advisor's morning in a real browser: sign in, see an alert, open the client, log the call
that closes the alert, watch the dashboard count drop; then switch the page to Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from alerts.models import Alert
from clients.models import Interaction
from tests import factories, personas
from tests.e2e.conftest import screenshot

# The live server needs committed rows: these tests run in transactions that are flushed after
# each test (tests/conftest.py restores the data migrations' rows for the next one).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def morning(tree):
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"], first_name="Fang", last_name="Wang")
    client = factories.ClientFactory(branch=tree["b1"], name="Li Ming", phone="13812345678")
    personas.serve(client, advisor)
    other = factories.ClientFactory(branch=tree["b1"], name="Zhao Lei")
    personas.serve(other, advisor)
    alert = factories.AlertFactory(
        client=client,
        advisor=advisor,
        kind=Alert.Kind.CHURN_RISK,
        severity=Alert.Severity.CRITICAL,
        title="Churn risk 0.82",
        reason="net outflow 62% in 30 days; no trade for 45 days",
    )
    factories.AlertFactory(client=other, advisor=advisor, kind=Alert.Kind.BIRTHDAY, title="Birthday in 3 days")
    return advisor, client, alert


def sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label(re.compile("Username|用户名")).fill(username)
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()


def test_an_advisor_works_an_alert_from_the_client_page_and_the_dashboard_count_drops(page, morning):
    advisor, client, alert = morning
    sign_in(page, "wang.fang")
    page.goto(page.base_url + "/?lang=en")
    # The site's default language is Chinese; this test reads the English page first.
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")

    count = page.locator("#alert-count")
    expect(count).to_have_text("2")
    expect(page.get_by_text("net outflow 62% in 30 days; no trade for 45 days")).to_be_visible()
    # The lists beside the alerts arrive once the page is shown, each in place of its placeholder.
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)
    expect(page.locator("#dash-overdue")).to_contain_text("Overdue for contact")
    expect(page.locator("#dash-overdue .spinner-border")).to_have_count(0)
    screenshot(page, "dashboard")

    page.locator(f"#alert-{alert.pk}").get_by_role("link", name="Li Ming").click()
    expect(page.get_by_role("heading", name="Li Ming")).to_be_visible()
    expect(page.get_by_text("138****5678")).to_be_visible()  # masked
    expect(page.get_by_text("13812345678")).to_have_count(0)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the shelf loads as it comes into view
    expect(page.locator('[data-testid="shelf"]')).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "client")

    row = page.locator(f"#alert-{alert.pk}")
    row.get_by_role("button", name="Done", exact=True).click()
    row.get_by_label("What was discussed").fill("Called: reviewed the outflow, client will keep the account.")
    row.get_by_role("button", name="Log contact and close").click()
    expect(page.locator(f"#alert-{alert.pk}").get_by_role("status")).to_have_text("Done")  # swapped in place

    alert.refresh_from_db()
    assert alert.status == Alert.Status.DONE
    logged = Interaction.objects.get(alert=alert)
    assert logged.client_id == client.pk and logged.advisor_id == advisor.pk

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#alert-count")).to_have_text("1")
    assert page.js_errors == []


def test_switching_to_chinese_shows_chinese(page, morning):
    sign_in(page, "wang.fang")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)
    expect(page.locator("#dash-follow-ups")).to_contain_text("待跟进")
    screenshot(page, "dashboard-zh")
    assert page.js_errors == []


def test_a_list_that_cannot_be_loaded_says_so_and_links_to_its_page(page, morning):
    sign_in(page, "wang.fang")
    page.route("**/dashboard/maturities/**", lambda route: route.fulfill(status=500, body="boom"))
    page.goto(page.base_url + "/?lang=en")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")
    failed = page.locator("#dash-maturities")
    expect(failed.get_by_role("alert")).to_contain_text("could not be loaded")
    expect(failed.get_by_role("link")).to_have_attribute("href", "/dashboard/maturities/")
    expect(page.locator("#dash-overdue")).to_contain_text("Overdue for contact")  # the others still arrive
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)
