"""Conversions from trading data (``campaigns.conversions.mark_conversions``) and the nightly
run's ``campaigns`` step: window edges, another product, control targets, side, and reruns."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from campaigns.conversions import mark_conversions
from campaigns.models import Campaign, CampaignTarget
from nightly import pipeline
from nightly.models import NightlyRun
from tests import factories
from tests.campaigns.book import trade
from tests.campaigns.campaign_world import END, START, TODAY, running_campaign

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def campaign(world):
    cast, clients = world
    campaign = running_campaign(cast, clients)
    CampaignTarget.objects.filter(campaign=campaign).update(converted_on=None, conversion_amount=None)
    return campaign


def converted(campaign) -> dict[str, tuple]:
    names = {client.pk: name for name, client in campaign.clients.items()}
    return {
        names[t.client_id]: (t.converted_on, t.conversion_amount)
        for t in CampaignTarget.objects.filter(campaign=campaign, converted_on__isnull=False)
    }


def test_a_purchase_of_the_product_inside_the_window_converts_the_target(campaign):
    c, product = campaign.clients, campaign.product
    trade(c["mine"], product, START, "1000")  # first day: inside
    trade(c["mine"], product, START + 3 * DAY, "2500.50", side="subscribe")  # summed
    trade(c["mine"], product, START + 4 * DAY, "999", side="sell")  # not a purchase
    trade(c["colleagues"], product, START - DAY, "5000")  # the day before: outside
    trade(c["unserved"], factories.ProductFactory(), START + DAY, "7000")  # another product
    trade(c["held"], product, TODAY, "3000")  # control targets convert too
    rows = mark_conversions(TODAY)
    assert rows["converted"] == 2
    assert converted(campaign) == {
        "mine": (START, Decimal("3500.50")),
        "held": (TODAY, Decimal("3000.00")),
    }


def test_the_window_ends_on_its_last_day_and_on_the_nights_date(campaign):
    c, product = campaign.clients, campaign.product
    trade(c["mine"], product, END, "100")  # last day: inside
    trade(c["colleagues"], product, END + DAY, "100")  # the day after: outside
    trade(c["held2"], product, TODAY + DAY, "100")  # after the night's date: not yet
    mark_conversions(TODAY)
    assert converted(campaign) == {}
    mark_conversions(END + 5 * DAY)
    assert converted(campaign) == {"mine": (END, Decimal("100.00")), "held2": (TODAY + DAY, Decimal("100.00"))}


def test_a_rerun_changes_nothing_and_a_corrected_trade_is_taken_back(campaign):
    c, product = campaign.clients, campaign.product
    purchase = trade(c["mine"], product, START + DAY, "800")
    assert mark_conversions(TODAY)["converted"] == 1
    stamp = CampaignTarget.objects.get(campaign=campaign, client=c["mine"]).updated_at
    again = mark_conversions(TODAY)
    assert (again["converted"], again["cleared"]) == (0, 0)
    assert CampaignTarget.objects.get(campaign=campaign, client=c["mine"]).updated_at == stamp
    purchase.delete()
    assert mark_conversions(TODAY)["cleared"] == 1 and converted(campaign) == {}


def test_draft_campaigns_and_themes_have_no_conversions(campaign):
    c, product = campaign.clients, campaign.product
    trade(c["mine"], product, START + DAY, "800")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    mark_conversions(TODAY)
    assert converted(campaign) == {}
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE, product=None, theme="养老")
    mark_conversions(TODAY)
    assert converted(campaign) == {}


def test_campaigns_whose_window_ended_are_finished(campaign):
    mark_conversions(END + DAY)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED


def test_the_nightly_campaigns_step_runs_after_the_alerts_and_is_recorded(campaign):
    assert pipeline.STEPS.index("alerts") < pipeline.STEPS.index("campaigns") < pipeline.STEPS.index("reports")
    trade(campaign.clients["mine"], campaign.product, START + DAY, "800")
    run_id = pipeline.claim(TODAY)
    first = pipeline.campaigns_step(run_id)
    second = pipeline.campaigns_step(run_id)
    assert first["converted"] == 1 and second["converted"] == 0
    step = NightlyRun.objects.get(pk=run_id).steps["campaigns"]
    assert step["status"] == "done" and step["rows"]["converted"] == 0
