"""Campaign results: the funnel, hit rate, control group and uplift, in the reader's scope; the
breakdown by branch, team and advisor; conversions per day. Figures of
``tests.campaigns.campaign_world``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import CampaignTarget
from campaigns.results import breakdown, daily, results
from campaigns.templatetags.campaign_tags import points, rate
from tests.campaigns.campaign_world import START, running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    cast, clients = world
    return running_campaign(cast, clients)


def test_a_managers_results_count_the_funnel_the_control_group_and_the_uplift(world, campaign):
    cast, _clients = world
    with CaptureQueriesContext(connection) as queries:
        figures = results(campaign, cast.manager.user)
    assert len([q for q in queries.captured_queries if "campaigns_campaigntarget" in q["sql"]]) == 1
    assert figures["targets"] == 3 and figures["contacted"] == 3 and figures["interested"] == 1
    assert figures["converted"] == figures["converted_all"] == 1 and figures["conversion_amount"] == Decimal("12000")
    assert figures["hit_rate"] == pytest.approx(1 / 3)
    assert (figures["control_targets"], figures["control_converted"]) == (2, 1)
    assert figures["control_conversion_rate"] == pytest.approx(0.5)
    assert figures["uplift"] == pytest.approx(1 / 3 - 0.5)
    assert figures["uplift_ratio"] == pytest.approx((1 / 3) / 0.5)


def test_hit_rate_counts_only_conversions_among_the_contacted_and_is_none_without_contacts(world, campaign):
    cast, clients = world
    # A pending target that converted on its own: a conversion, but not a hit.
    CampaignTarget.objects.filter(campaign=campaign, client=clients["colleagues"]).update(
        status="pending", converted_on=START, conversion_amount=Decimal("100")
    )
    figures = results(campaign, cast.manager.user)
    assert (figures["targets"], figures["contacted"], figures["converted"]) == (3, 2, 1)
    assert figures["converted_all"] == 2 and figures["conversion_amount"] == Decimal("12100")
    assert figures["hit_rate"] == pytest.approx(figures["converted"] / figures["contacted"]) == pytest.approx(0.5)
    # The uplift: all the worked group's conversions against the (never contacted) control group.
    assert figures["conversion_rate"] == pytest.approx(2 / 3)
    assert figures["uplift"] == pytest.approx(2 / 3 - 0.5)
    CampaignTarget.objects.filter(campaign=campaign).update(status="pending")
    figures = results(campaign, cast.manager.user)
    assert figures["contacted"] == 0 and figures["hit_rate"] is None


def test_an_advisor_counts_only_their_own_clients_targets(world, campaign):
    cast, _clients = world
    figures = results(campaign, cast.advisor.user)
    # mine (worked, converted) and held (control, converted).
    assert (figures["targets"], figures["converted"], figures["control_targets"]) == (1, 1, 1)
    assert figures["hit_rate"] == 1.0 and figures["uplift"] == pytest.approx(0.0)
    assert results(campaign, cast.other_advisor.user)["targets"] == 0
    assert results(campaign, cast.no_role.user) == results(campaign, cast.other_manager.user)


def test_without_a_control_group_the_uplift_is_undefined(world, campaign):
    cast, _clients = world
    CampaignTarget.objects.filter(campaign=campaign, control=True).delete()
    figures = results(campaign, cast.manager.user)
    assert figures["control_conversion_rate"] is None and figures["uplift"] is None and figures["uplift_ratio"] is None


def test_breakdown_by_branch_team_and_advisor_is_one_query(world, campaign):
    cast, _clients = world
    with CaptureQueriesContext(connection) as queries:
        levels = breakdown(campaign, cast.manager.user)
    # The user's access profile (cached on the user for the request), then the one grouped query.
    assert len([q for q in queries.captured_queries if "campaigns_campaigntarget" in q["sql"]]) == 1
    assert len(queries.captured_queries) <= 2
    by_advisor = {row["code"]: row for row in levels["advisor"]}
    assert by_advisor["ADVISOR"]["targets"] == 1 and by_advisor["ADVISOR"]["control_targets"] == 1
    assert by_advisor["COLLEAGUE"]["targets"] == 1 and by_advisor["COLLEAGUE"]["interested"] == 1
    assert by_advisor[""]["targets"] == 1  # the unserved client's target has no advisor
    (branch,) = levels["branch"]
    assert branch["code"] == "SH01" and branch["targets"] == 3 and branch["converted"] == 1
    teams = {row["code"]: row["targets"] for row in levels["team"]}
    assert teams == {"SH01T1": 2, "": 1}
    assert levels["advisor"][0]["code"] == "ADVISOR"  # most conversions first


def test_daily_series_covers_the_window_to_today(world, campaign):
    cast, _clients = world
    series = daily(campaign, cast.compliance.user, today=START + datetime.timedelta(days=5))
    assert series["days"][0] == START.isoformat() and len(series["days"]) == 6
    assert series["converted"] == [0, 0, 1, 0, 0, 0]
    assert series["control"] == [0, 0, 0, 1, 0, 0]
    assert series["amount"][2] == 12000.0
    whole = daily(campaign, cast.compliance.user)
    assert whole["days"][-1] == campaign.ends_on.isoformat() and sum(whole["converted"]) == 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.2778, "27.8%"), (0.27749, "27.7%"), (1 / 3, "33.3%"), (0.0005, "0.1%"), (1.0, "100.0%"), (None, "—")],
)
def test_rates_are_rounded_not_cut(value, shown, settings):
    settings.LANGUAGE_CODE = "en"
    assert rate(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.1556, "+15.6 pp"), (-0.1556, "−15.6 pp"), (0.00004, "0.0 pp"), (-0.00004, "0.0 pp"), (None, "—")],
)
def test_uplift_points_are_rounded_not_cut(value, shown, settings):
    settings.LANGUAGE_CODE = "en"
    assert points(value) == shown
