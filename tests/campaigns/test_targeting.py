"""Building a campaign's target list (campaigns.targeting) and starting / finishing campaigns
(campaigns.services)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.utils import translation

from campaigns import services, targeting
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from clients.models import Segment
from tests import factories, personas
from tests.campaigns.book import TODAY, hold, snapshot, trade

DAY = datetime.timedelta(days=1)
_codes = itertools.count(1)
ALL = ["cash", "fixed_income", "equity", "mixed", "derivatives", "complex"]


@pytest.fixture
def cast(db):
    return personas.cast(factories.org_tree())


@pytest.fixture
def fund(db):
    return factories.ProductFactory(product_type="mixed_fund", risk_level="R3", horizon="medium", variety="mixed")


def campaign(cast, product=None, *, by=None, unit=None, segment=None, **fields) -> Campaign:
    defaults = {"starts_on": TODAY, "ends_on": TODAY + 29 * DAY, "control_share": Decimal(0)}
    return Campaign.objects.create(
        code=f"CMP{next(_codes)}",
        name="Spring fund drive",
        product=product,
        org_unit=unit or cast.tree["b1"],
        created_by=(by or cast.manager).user,
        segment=segment,
        **{**defaults, **fields},
    )


def client(cast, advisor=None, branch=None, assessment: dict | None = None, **fields):
    made = factories.ClientFactory(branch=branch or cast.tree["b1"], **fields)
    if advisor is not False:
        personas.serve(made, advisor or cast.advisor)
    if assessment is not None:
        factories.RiskAssessmentFactory(client=made, **assessment)
    return made


FITS = {}  # the factory's assessment: C3, medium, cash / fixed income / mixed, valid to 2028


def targets(item: Campaign) -> dict[int, tuple]:
    return {
        t.client_id: (t.advisor_id, t.score, t.rank, t.reasons, t.requires, t.control)
        for t in CampaignTarget.objects.filter(campaign=item)
    }


def exclusions(item: Campaign) -> dict[int, tuple]:
    return {e.client_id: (e.reason, e.all_reasons) for e in CampaignExclusion.objects.filter(campaign=item)}


@pytest.mark.django_db
def test_every_exclusion_reason_is_kept_with_all_that_apply(cast, fund):
    eligible = client(cast, assessment=FITS)
    expected = {
        client(cast): ["assessment_missing"],
        client(cast, assessment={"valid_until": TODAY - DAY}): ["assessment_expired"],
        client(cast, assessment={"risk_level": "C2"}): ["risk"],
        client(cast, assessment={"risk_level": "C1", "lowest_category": True, "horizon": "long", "varieties": ALL}): [
            "risk"
        ],
        client(cast, assessment={"horizon": "short"}): ["horizon"],
        client(cast, assessment={"varieties": ["cash"]}): ["variety"],
        client(cast, assessment={"risk_level": "C2", "horizon": "short", "varieties": ["cash"]}): [
            "risk",
            "horizon",
            "variety",
        ],  # fmt: skip
        client(cast, assessment=FITS, marketing_opt_out=True): ["opted_out"],
        client(cast, advisor=False, assessment=FITS): ["no_advisor"],
        client(cast, advisor=False, marketing_opt_out=True, assessment={"valid_until": TODAY - DAY}): [
            "assessment_expired",
            "opted_out",
            "no_advisor",
        ],  # fmt: skip
    }
    holder = client(cast, assessment=FITS)
    hold(holder, fund, TODAY - 2 * DAY)
    expected[holder] = ["already_holds"]
    item = campaign(cast, fund)
    result = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert exclusions(item) == {c.pk: (reasons[0], reasons) for c, reasons in expected.items()}
    assert set(targets(item)) == {eligible.pk}
    assert result == targeting.BuildResult(
        targets=1,
        control=0,
        excluded={
            "assessment_missing": 1,
            "assessment_expired": 2,
            "risk": 3,
            "horizon": 1,
            "variety": 1,
            "already_holds": 1,
            "opted_out": 1,
            "no_advisor": 1,
        },  # fmt: skip
        candidates=12,
    )
    item.refresh_from_db()
    assert item.build_summary == {"candidates": 12, "targets": 1, "control": 0, "excluded": result.excluded}
    assert item.targets_built_at is not None and item.model_kind == "rule"


@pytest.mark.django_db
def test_professional_only_and_access_threshold(cast):
    private = factories.ProductFactory(
        risk_level="R4", horizon="long", variety="complex", professional_only=True,
        access_min_assets=Decimal("1000000"),
    )  # fmt: skip
    bold = {"risk_level": "C5", "horizon": "long", "varieties": ALL}
    poor = client(cast, assessment=bold)
    rich = client(cast, assessment=bold)
    for n in range(20):
        snapshot(rich, TODAY - n * DAY, total="2000000")
    item = campaign(cast, private)
    targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert exclusions(item) == {
        poor.pk: ("professional_only", ["professional_only", "access_threshold"]),
        rich.pk: ("professional_only", ["professional_only"]),
    }
    assert targets(item) == {}


@pytest.mark.django_db
def test_a_target_carries_its_advisor_score_reasons_and_steps_owed(cast):
    risky = factories.ProductFactory(risk_level="R4", horizon="medium", variety="equity")
    buyer = client(cast, assessment={"risk_level": "C4", "varieties": ["equity"]}, birth_date=datetime.date(1950, 1, 1))
    for n in range(3):
        trade(buyer, factories.ProductFactory(risk_level="R4", variety="equity"), TODAY - (20 + n) * DAY)
    item = campaign(cast, risky)
    targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    target = CampaignTarget.objects.get(campaign=item)
    assert target.advisor == cast.advisor and target.rank == 1 and not target.control
    assert target.score > 0
    assert target.reasons[0] == {"code": "bought_similar", "params": {"count": 3, "days": 365}}
    assert target.requires == ["special_warning", "dual_recording", "consideration_period", "callback"]


@pytest.mark.django_db
def test_control_group_share_is_random_but_the_same_on_a_rebuild(cast, fund):
    for n in range(30):
        made = client(cast, assessment=FITS)
        if n % 3 == 0:
            trade(made, fund, TODAY - (n + 1) * DAY, side="subscribe")
            trade(made, fund, TODAY - (n + 2) * DAY, side="sell")
    item = campaign(cast, fund, control_share=Decimal("0.1"))
    first = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    before = targets(item)
    assert (first.targets, first.control) == (27, 3)
    assert sum(row[-1] for row in before.values()) == 3
    assert sorted(row[2] for row in before.values()) == list(range(1, 31))
    again = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert again == first and targets(item) == before
    # Another campaign draws another control group (seeded by its id).
    other = campaign(cast, fund, control_share=Decimal("0.1"))
    targeting.build_targets(other, by=cast.manager.user, today=TODAY)
    assert {pk for pk, row in targets(other).items() if row[-1]} != {pk for pk, row in before.items() if row[-1]}


@pytest.mark.django_db
def test_at_least_the_share_is_held_out(cast, fund):
    for _ in range(25):
        client(cast, assessment=FITS)
    item = campaign(cast, fund, control_share=Decimal("0.1"))
    result = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert result.control == 3 and result.targets == 22  # ceil(2.5)


@pytest.mark.django_db
def test_advisor_cap_then_target_limit_keep_the_best_scored(cast, fund):
    clients = []
    for advisor in (cast.advisor, cast.colleague):
        for n in range(10):
            made = client(cast, advisor=advisor, assessment=FITS)
            for k in range(n % 4):
                trade(made, fund, TODAY - (k + 1) * DAY)
            clients.append(made)
    item = campaign(cast, fund, advisor_cap=4, target_limit=5)
    result = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert (result.targets, result.excluded) == (5, {"advisor_cap": 12, "over_limit": 3})
    kept = CampaignTarget.objects.filter(campaign=item).order_by("rank")
    scores = {t.client_id: t.score for t in kept}
    capped = CampaignExclusion.objects.filter(campaign=item, reason="advisor_cap").values_list("client_id", flat=True)
    assert all(targeting_score >= 0 for targeting_score in scores.values())
    assert [t.rank for t in kept] == [1, 2, 3, 4, 5]
    assert [t.score for t in kept] == sorted((t.score for t in kept), reverse=True)
    per_advisor = {}
    for t in kept:
        per_advisor[t.advisor_id] = per_advisor.get(t.advisor_id, 0) + 1
    assert max(per_advisor.values()) <= 4
    assert set(capped).isdisjoint(scores)


@pytest.mark.django_db
def test_a_rebuild_replaces_the_rows_after_the_data_changed(cast, fund):
    first = client(cast, assessment=FITS)
    second = client(cast, assessment=FITS)
    item = campaign(cast, fund)
    targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert set(targets(item)) == {first.pk, second.pk}
    second.marketing_opt_out = True
    second.save()
    targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert set(targets(item)) == {first.pk}
    assert exclusions(item) == {second.pk: ("opted_out", ["opted_out"])}


@pytest.mark.django_db
def test_targets_are_frozen_once_the_campaign_started(cast, fund):
    client(cast, assessment=FITS)
    item = campaign(cast, fund)
    services.build_targets(item, by=cast.manager.user, today=TODAY)
    services.start_campaign(item, by=cast.manager.user, today=TODAY)
    item.refresh_from_db()
    assert item.status == Campaign.Status.ACTIVE and item.started_at is not None
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert "frozen once the campaign has started" in raised.value.message_dict["status"][0]
    assert CampaignTarget.objects.filter(campaign=item).count() == 1


@pytest.mark.django_db
def test_start_date_rules(cast, fund):
    client(cast, assessment=FITS)
    item = campaign(cast, fund, starts_on=TODAY + DAY, ends_on=TODAY + 10 * DAY)
    with pytest.raises(ValidationError) as raised:
        services.start_campaign(item, by=cast.manager.user, today=TODAY + DAY)
    assert "targets" in raised.value.message_dict
    services.build_targets(item, by=cast.manager.user, today=TODAY)
    with pytest.raises(ValidationError) as raised:
        services.start_campaign(item, by=cast.manager.user, today=TODAY)
    assert "starts_on" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.start_campaign(item, by=cast.manager.user, today=TODAY + 11 * DAY)
    assert "ends_on" in raised.value.message_dict
    services.start_campaign(item, by=cast.manager.user, today=TODAY + DAY)  # a campaign may start today
    with pytest.raises(ValidationError) as raised:
        services.start_campaign(item, by=cast.manager.user, today=TODAY + 2 * DAY)
    assert "status" in raised.value.message_dict
    assert LogEntry.objects.filter(object_pk=str(item.pk), content_type__model="campaign").count() == 2


@pytest.mark.django_db
def test_finish_due_campaigns_finishes_only_active_ones_that_ended(cast):
    ended = campaign(cast, starts_on=TODAY - 30 * DAY, ends_on=TODAY - DAY, status=Campaign.Status.ACTIVE)
    running = campaign(cast, starts_on=TODAY - 30 * DAY, ends_on=TODAY, status=Campaign.Status.ACTIVE)
    draft = campaign(cast, starts_on=TODAY - 30 * DAY, ends_on=TODAY - DAY)
    assert services.finish_due_campaigns(TODAY) == 1
    statuses = dict(Campaign.objects.values_list("pk", "status"))
    assert statuses == {ended.pk: "finished", running.pk: "active", draft.pk: "draft"}


@pytest.mark.django_db
def test_a_branch_managers_build_never_includes_another_branchs_client(cast, fund):
    mine = client(cast, assessment=FITS)
    theirs = client(cast, advisor=cast.other_advisor, branch=cast.tree["b2"], assessment=FITS)
    wide = campaign(cast, fund, unit=cast.tree["sh"])  # the manager's campaign over the branch company
    targeting.build_targets(wide, by=cast.manager.user, today=TODAY)
    assert set(targets(wide)) == {mine.pk}
    # Head office sees every client: its campaign over the branch company takes both branches.
    by_hq = campaign(cast, fund, by=cast.hq_user, unit=cast.tree["sh"])
    targeting.build_targets(by_hq, by=cast.hq_user.user, today=TODAY)
    assert set(targets(by_hq)) == {mine.pk, theirs.pk}
    # The creator's scope counts, not the builder's: the manager builds head office's campaign.
    # The unit restricts too: head office's campaign in SH02 leaves SH01 out.
    narrow = campaign(cast, fund, by=cast.hq_user, unit=cast.tree["b2"])
    targeting.build_targets(narrow, by=cast.manager.user, today=TODAY)
    assert set(targets(narrow)) == {theirs.pk}


@pytest.mark.django_db
def test_the_segments_criteria_apply_and_closed_clients_are_left_out(cast, fund):
    rich = client(cast, assessment=FITS, tier="hnw")
    client(cast, assessment=FITS, tier="mass")
    client(cast, assessment=FITS, tier="hnw", status="closed")
    segment = Segment.objects.create(name="HNW", criteria={"tier": ["hnw"]}, owner=cast.manager.user)
    item = campaign(cast, fund, segment=segment)
    result = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert set(targets(item)) == {rich.pk} and result.candidates == 1


@pytest.mark.django_db
def test_a_theme_campaign_applies_only_opt_out_and_advisor(cast):
    unassessed = client(cast)
    opted = client(cast, marketing_opt_out=True)
    orphan = client(cast, advisor=False)
    item = campaign(cast, theme="Year-end review")
    result = targeting.build_targets(item, by=cast.manager.user, today=TODAY)
    assert set(targets(item)) == {unassessed.pk}
    assert exclusions(item) == {opted.pk: ("opted_out", ["opted_out"]), orphan.pk: ("no_advisor", ["no_advisor"])}
    assert targets(item)[unassessed.pk][4] == []  # no steps owed without a product
    assert result.excluded == {"opted_out": 1, "no_advisor": 1}
    item.refresh_from_db()
    assert item.model_kind == "rule" and item.model_auc is None


@pytest.mark.django_db
def test_the_build_is_set_based(cast, fund, django_assert_max_num_queries):
    for _ in range(5):
        client(cast, assessment=FITS)
    small = campaign(cast, fund)
    with django_assert_max_num_queries(40) as counted:
        targeting.build_targets(small, by=cast.manager.user, today=TODAY)
    few = len(counted.captured_queries)
    for _ in range(40):
        made = client(cast, assessment=FITS)
        trade(made, fund, TODAY - 3 * DAY)
    large = campaign(cast, fund)
    with django_assert_max_num_queries(few) as counted:
        targeting.build_targets(large, by=cast.manager.user, today=TODAY)
    assert CampaignTarget.objects.filter(campaign=large).count() == 5 + 40


@pytest.mark.django_db
def test_a_campaign_created_by_someone_who_sees_no_clients_is_refused_with_the_reason(cast, fund):
    client(cast, assessment=FITS)
    item = campaign(cast, fund, by=cast.ops)  # operations staff serve no clients (core/access.py)
    with pytest.raises(ValidationError) as refused:
        services.build_targets(item, by=cast.ops.user)
    assert set(refused.value.message_dict) == {"created_by"}
    item.refresh_from_db()
    assert item.targets_built_at is None and not item.targets.exists()
    # The same campaign created by the branch manager builds.
    item.created_by = cast.manager.user
    item.save(update_fields=["created_by"])
    assert services.build_targets(item, by=cast.ops.user).targets == 1
