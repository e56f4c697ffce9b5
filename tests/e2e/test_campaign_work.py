"""An advisor works a campaign in a real browser: the dashboard lists the campaign task, "Log
outcome" opens the client's contact form with the campaign chosen, a first attempt with a
missing field shows the message in place and keeps the input, the second logs "interested" and
the target's status changes; then a product is recommended from the Recommended list."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignTarget
from clients.models import Client, Interaction
from products.models import Product
from suitability.models import SuitabilityCheck
from tests import factories, personas
from tests.e2e.conftest import screenshot
from tests.e2e.test_workbench import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign_day(tree):
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"], first_name="Fang", last_name="Wang")
    client = factories.ClientFactory(branch=tree["b1"], name="Li Ming", risk_level="C3")
    personas.serve(client, advisor)
    held_out = factories.ClientFactory(branch=tree["b1"], name="Zhao Lei")
    personas.serve(held_out, advisor)
    factories.RiskAssessmentFactory(client=client)
    Product.objects.update(status=Product.Status.CLOSED)
    product = factories.ProductFactory(code="BOND-7", name="Steady Bond 7", risk_level="R2", variety="fixed_income")
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        code="AUTUMN",
        name="Autumn bonds",
        org_unit=tree["b1"],
        product=product,
        starts_on=today - datetime.timedelta(days=3),
        ends_on=today + datetime.timedelta(days=20),
        status=Campaign.Status.ACTIVE,
    )
    target = CampaignTarget.objects.create(
        campaign=campaign,
        client=client,
        advisor=advisor,
        score=0.83,
        reasons=[{"code": "tier", "params": {"tier": "hnw"}}],
        requires=["dual_recording"],
    )
    CampaignTarget.objects.create(campaign=campaign, client=held_out, advisor=advisor, score=0.95, control=True)
    return advisor, client, target


def test_an_advisor_logs_interest_from_a_campaign_task_and_recommends_a_product(page, campaign_day):
    advisor, client, target = campaign_day
    sign_in(page, "wang.fang")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")

    tasks = page.locator("#dash-campaign-tasks")
    expect(tasks).to_contain_text("Campaign tasks")
    expect(tasks.locator('[data-testid="campaign-task"]')).to_have_count(1)  # the control client is not a task
    expect(tasks).to_contain_text("Li Ming")
    expect(tasks).to_contain_text("Autumn bonds")
    expect(tasks).to_contain_text("High net worth client")
    expect(tasks).not_to_contain_text("Zhao Lei")
    screenshot(page, "campaign-tasks")

    tasks.get_by_role("link", name="Log outcome").click()
    expect(page.get_by_role("heading", name="Li Ming")).to_be_visible()
    form = page.locator("#log-contact")
    expect(form.get_by_label("Campaign", exact=True)).to_have_value(str(target.campaign_id))
    # The cards fetched after the page arrive above the form: it stays where the link sent the user.
    page.wait_for_load_state("networkidle")
    expect(form.locator("summary")).to_be_in_viewport()
    # The campaigns card is fetched when it comes into view.
    page.evaluate("document.getElementById('h-campaigns').scrollIntoView()")
    expect(page.locator('[data-testid="campaign-targets"]')).to_contain_text("Audio/video recording")

    # First attempt: the outcome chosen, nothing said about the call — refused in place.
    form.get_by_label("Campaign outcome").select_option("interested")
    form.get_by_role("button", name="Save contact").click()
    form = page.locator("#log-contact")
    expect(form).to_have_attribute("open", "")
    summary = form.get_by_label("What was discussed")
    expect(summary.locator("xpath=following-sibling::div[contains(@class, 'invalid-feedback')]")).to_contain_text(
        "This field is required."
    )
    expect(form.get_by_label("Campaign", exact=True)).to_have_value(str(target.campaign_id))  # input kept
    expect(form.get_by_label("Campaign outcome")).to_have_value("interested")
    target.refresh_from_db()
    assert target.status == CampaignTarget.Status.PENDING

    summary.fill("Likes the bond fund; will read the prospectus.")
    form.get_by_role("button", name="Save contact").click()
    expect(page.get_by_text("The contact has been logged for Autumn bonds: Interested.")).to_be_visible()
    expect(page.locator("#messages")).to_be_in_viewport()  # the confirmation, not the form below it
    page.evaluate("document.getElementById('h-campaigns').scrollIntoView()")
    expect(page.locator('[data-testid="campaign-targets"] [data-testid="target-status"]')).to_have_text("Interested")
    target.refresh_from_db()
    assert target.status == CampaignTarget.Status.INTERESTED and target.contacted_at is not None
    logged = Interaction.objects.get(campaign=target.campaign)
    assert (logged.outcome, logged.client_risk_level) == ("interested", "C3")
    screenshot(page, "campaign-outcome")

    # The Recommended list arrives as it comes into view; Recommend answers in place.
    # (The heading may be swapped by the list arriving while it scrolls: scroll in the page.)
    page.evaluate("document.getElementById('h-recommended').scrollIntoView()")
    recommended = page.locator('[data-testid="next-best"]')
    expect(recommended).to_contain_text("BOND-7")
    recommended.locator('[data-product="BOND-7"]').get_by_role("button", name="Recommend").click()
    expect(recommended.locator('[data-product="BOND-7"]').get_by_role("status")).to_contain_text(
        re.compile("Recommended Steady Bond 7")
    )
    expect(recommended.locator('[data-product="BOND-7"]')).to_contain_text("Recommended ✓")
    screenshot(page, "recommended")
    check = SuitabilityCheck.objects.get(client=client, product__code="BOND-7")
    assert (check.initiated_by, check.outcome) == ("advisor", "match")
    assert Client.objects.get(pk=client.pk).interactions.count() == 2
    # The refused first attempt answered 400 (the page with the error), which Chromium logs.
    assert page.js_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
