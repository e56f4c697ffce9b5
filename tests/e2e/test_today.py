"""The ranked today list in a real browser (issue 26, points 3, 7 and 8): the most valuable
client first, overdue marked, a client's several alerts folded into one row with their own
actions, kinds as filters; a team lead hands an alert to a colleague, an advisor cannot; at
390 px the list comes before everything else."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert
from core.choices import Tier
from tests import factories, personas
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(tree):
    today = timezone.localdate()
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"])
    colleague = personas.staff("zhou.min", tree["t1"], ["advisor"])
    colleague.name = "Zhou Min"
    colleague.save(update_fields=["name"])
    personas.staff("chen.lead", tree["t1"], ["team_lead"])
    personas.staff("far.away", tree["t2"], ["advisor"])
    rich = factories.ClientFactory(
        branch=tree["b1"], name="Qian Rich", tier=Tier.ULTRA_HIGH_NET_WORTH, total_assets=Decimal("80000000")
    )
    late = factories.ClientFactory(branch=tree["b1"], name="Sun Late", tier=Tier.MASS, total_assets=Decimal("50000"))
    drift = factories.ClientFactory(
        branch=tree["b1"], name="Li Drift", tier=Tier.HIGH_NET_WORTH, total_assets=Decimal("3000000")
    )
    for client in (rich, late, drift):
        personas.serve(client, advisor)

    def alert(client, kind, severity, late_by, title, n=0):
        return factories.AlertFactory(
            client=client,
            advisor=advisor,
            kind=kind,
            severity=severity,
            title=title,
            due_on=today - datetime.timedelta(days=late_by),
            dedupe_key=f"{kind}:{client.pk}:{n}",
        )

    alert(rich, Alert.Kind.BIRTHDAY, "info", 0, "Birthday in 3 days")
    alert(late, Alert.Kind.LARGE_OUTFLOW, "critical", 20, "Large outflow")
    drifted = [alert(drift, Alert.Kind.SUITABILITY_DRIFT, "warning", n, f"Review P00{n}", n) for n in range(3)]
    return {"rich": rich, "late": late, "drift": drift, "drifted": drifted, "colleague": colleague}


def test_the_advisor_sees_the_most_valuable_first_overdue_marked_and_one_row_per_client(page, book):
    sign_in(page, "wang.fang")
    rows = page.locator('[data-testid="today-row"]')
    expect(rows).to_have_count(3)
    order = [rows.nth(i).get_attribute("data-client") for i in range(3)]
    assert order == [book["late"].client_no, book["drift"].client_no, book["rich"].client_no]
    expect(rows.nth(0).get_by_test_id("overdue")).to_have_text("overdue 20 days")
    expect(rows.nth(2).get_by_test_id("overdue")).to_have_count(0)

    # The three drifted holdings are one row; opening it shows each alert with its own actions.
    drift = rows.nth(1)
    expect(drift.get_by_test_id("alert-count-of-client")).to_have_text("3 alerts")
    first = book["drifted"][0]
    expect(drift.locator(f"#alert-{first.pk}")).to_be_hidden()
    drift.locator("summary").click()
    for alert in book["drifted"]:
        expect(drift.locator(f"#alert-{alert.pk}")).to_be_visible()
    # No reassigning for an advisor.
    expect(page.get_by_role("button", name="Reassign")).to_have_count(0)
    screenshot(page, "today-1280")

    row = drift.locator(f"#alert-{first.pk}")
    row.get_by_role("button", name="Dismiss").click()
    row.get_by_label("Why no action is needed").fill("Client confirmed the holding in writing")
    row.locator("form").get_by_role("button", name="Dismiss").click()
    expect(page.locator(f"#alert-{first.pk}").get_by_role("status")).to_have_text("Dismissed")
    first.refresh_from_db()
    assert first.status == Alert.Status.DISMISSED

    # Kinds are filters, with their counts.
    page.get_by_test_id("kind-chip").filter(has_text="Suitability drift").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator('[data-testid="today-row"]')).to_have_count(1)
    expect(page.locator('[data-testid="today-row"]')).to_have_attribute("data-client", book["drift"].client_no)

    assert page.js_errors == []
    # Refused at the door: reassigning is a team lead's tool.
    response = page.goto(page.base_url + f"/alerts/{book['drifted'][1].pk}/reassign/")
    assert response.status == 403


def test_a_team_lead_hands_an_alert_to_an_advisor_of_the_team(page, book):
    sign_in(page, "chen.lead")
    target = book["drifted"][2]
    rows = page.locator('[data-testid="today-row"]')
    expect(rows).to_have_count(3)
    rows.nth(1).locator("summary").click()
    row = page.locator(f"#alert-{target.pk}")
    row.get_by_role("button", name="Reassign").click()
    chooser = row.get_by_label("Hand to")
    expect(chooser).to_be_visible()
    options = chooser.locator("option").all_text_contents()
    assert any("Zhou Min" in option for option in options)
    assert not any("FAR.AWAY" in option for option in options)  # another team's advisor is not offered

    row.locator("form").get_by_role("button", name="Reassign").click()  # nobody chosen
    expect(page.locator(f"#alert-{target.pk}")).to_contain_text("Choose the advisor who takes it.")

    row = page.locator(f"#alert-{target.pk}")
    row.get_by_label("Hand to").select_option(label=f"Zhou Min ({book['colleague'].code})")
    row.locator("form").get_by_role("button", name="Reassign").click()
    expect(page.locator(f"#alert-{target.pk}").get_by_test_id("alert-advisor")).to_contain_text("Zhou Min")
    target.refresh_from_db()
    assert target.advisor_id == book["colleague"].pk
    # The browser logs the refused form's 400; nothing else went wrong.
    assert [error for error in page.js_errors if "status of 400" not in error] == []


def test_at_phone_width_the_ranked_list_comes_first(browser, live_server, book):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.base_url = live_server.url
    sign_in(page, "wang.fang")
    today = page.locator("#today").bounding_box()
    cards = page.locator("#book-clients").bounding_box()
    chart = page.locator("#h-chart").bounding_box()
    assert today["y"] < cards["y"] and today["y"] < chart["y"]
    assert today["y"] < 400  # on the first screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "today-390")
    # The same page in Chinese: names surname-first, the words from the catalogue.
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": page.base_url}])
    page.reload()
    expect(page.locator("#today")).to_be_visible()
    assert page.locator("#today").bounding_box()["y"] < page.locator("#book-clients").bounding_box()["y"]
    screenshot(page, "today-390-zh")
    context.close()


def test_a_row_whose_alerts_cannot_be_fetched_says_so_with_a_link(page, book):
    """Opening a folded row fetches the client's alerts; when that fails the row says so and
    links to the client's alerts on the alerts page, instead of "Loading…" for ever."""
    sign_in(page, "wang.fang")
    page.route("**/alerts/?rows=1*", lambda route: route.fulfill(status=500, body="boom"))
    drift = page.locator('[data-testid="today-row"]').nth(1)
    drift.locator("summary").click()
    failed = drift.get_by_role("alert")
    expect(failed).to_contain_text("This list could not be loaded: open it on its own page.")
    expect(failed.get_by_role("link")).to_have_attribute("href", f"/alerts/?rows=1&client={book['drift'].pk}")
    expect(drift.get_by_text("Loading…")).to_have_count(0)
