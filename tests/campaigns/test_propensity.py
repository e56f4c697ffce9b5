"""The target-client model (campaigns.propensity) and its reasons' words (campaigns.texts)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import numpy as np
import pytest
from django.utils import translation

from campaigns import propensity, targeting, texts
from campaigns.models import Campaign, CampaignTarget
from tests import factories, personas, shared_rows
from tests.campaigns.book import TODAY, flow, habit_book, hold, snapshot, trade

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
DAY = datetime.timedelta(days=1)


@pytest.fixture
def branch(db):
    return factories.org_tree()["b1"]


def products():
    mixed = factories.ProductFactory(product_type="mixed_fund", variety="mixed", risk_level="R3", issuer="华夏基金")
    twin = factories.ProductFactory(product_type="mixed_fund", variety="mixed", risk_level="R3", issuer="华夏基金")
    bond = factories.ProductFactory(product_type="bond_fund", variety="fixed_income", risk_level="R2", issuer="易方达")
    return mixed, twin, bond


@pytest.mark.django_db
def test_recommendation_scores_prefer_what_the_client_buys_and_holds(branch):
    mixed, twin, bond = products()
    client = factories.ClientFactory(branch=branch, tier="affluent", opened_on=datetime.date(2019, 5, 1))
    for n in range(3):
        trade(client, twin, TODAY - (30 + n * 60) * DAY)
    hold(client, twin, TODAY, value="40000")
    snapshot(client, TODAY, total="100000")
    flow(client, TODAY - 5 * DAY, "30000")
    scores = propensity.recommendation_scores(client, [mixed, bond], today=TODAY)
    assert set(scores) == {mixed.pk, bond.pk}
    (mixed_score, mixed_reasons), (bond_score, bond_reasons) = scores[mixed.pk], scores[bond.pk]
    assert 0 <= bond_score < mixed_score <= 1
    assert [r["code"] for r in mixed_reasons] == ["bought_similar", "holds_similar", "net_inflow"]
    assert mixed_reasons[0]["params"] == {"count": 3, "days": 365}
    assert mixed_reasons[1]["params"] == {"share": 40}
    assert mixed_reasons[2]["params"] == {"amount": 3_000_000, "days": 30}
    assert "bought_similar" not in [r["code"] for r in bond_reasons]


@pytest.mark.django_db
def test_recommendation_scores_read_the_history_once_whatever_the_products(branch, django_assert_max_num_queries):
    client = factories.ClientFactory(branch=branch)
    shelf = [factories.ProductFactory() for _ in range(12)]
    trade(client, shelf[0], TODAY - 3 * DAY)
    hold(client, shelf[1], TODAY)
    snapshot(client, TODAY)
    with django_assert_max_num_queries(5):  # the history (4) and the kept models (1)
        one = propensity.recommendation_scores(client, shelf[:1], today=TODAY)
    with django_assert_max_num_queries(5):  # the history (4) and the kept models (1)
        many = propensity.recommendation_scores(client, shelf, today=TODAY)
    assert len(one) == 1 and len(many) == 12
    assert one[shelf[0].pk] == many[shelf[0].pk]


@pytest.mark.django_db
def test_a_client_without_history_scores_zero_without_reasons(branch):
    client = factories.ClientFactory(branch=branch)
    item = factories.ProductFactory()
    assert propensity.recommendation_scores(client, [item], today=TODAY) == {item.pk: (0.0, [])}
    assert propensity.recommendation_scores(client, [], today=TODAY) == {}


def test_the_rule_weights_sum_to_one():
    assert sum(weight for weight, _, _ in propensity.RULE.values()) == pytest.approx(1.0)


def test_horizon_is_the_window_capped_to_30_to_90_days():
    start = datetime.date(2026, 1, 1)
    assert propensity.horizon_days(start, start + 9 * DAY) == 30
    assert propensity.horizon_days(start, start + 59 * DAY) == 60
    assert propensity.horizon_days(start, start + 200 * DAY) == 90


def test_top_decile_rate_takes_the_best_tenth():
    labels = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.95, *[0.1] * 8, 0.2, *[0.1] * 9])
    assert propensity.top_decile_rate(labels, scores) == 0.5


@pytest.mark.django_db
def test_on_a_book_where_buyers_buy_again_the_model_beats_the_base_rate(branch):
    mixed, twin, bond = products()
    clients = [factories.ClientFactory(branch=branch) for _ in range(500)]
    fans = habit_book(clients, [mixed, twin], [bond])
    scoring = propensity.score_candidates(
        [c.pk for c in clients], [c.pk for c in clients], mixed, horizon=30, today=TODAY
    )
    details = scoring.details
    assert details["model_auc"] > 0.7
    assert details["model_top_decile_rate"] > scoring.base_rate
    assert scoring.auc > 0.7 and scoring.top_decile_rate > scoring.base_rate
    assert details["training_rows"] >= 1000 and details["held_out_rows"] == 500
    assert len(details["training_days"]) == 3
    assert scoring.kind in ("model", "rule")
    if scoring.kind == "model":
        assert details["model_auc"] > details["rule_auc"]
        assert set(details["coefficients"]) == set(propensity.FEATURES)
    # Fans rank first.
    ranked = scoring.scores.sort_values("score", ascending=False)["client_id"].tolist()
    top = ranked[: len(ranked) // 5]
    assert sum(pk in fans for pk in top) / len(top) > 0.8
    assert all(len(reasons) <= 3 for reasons in scoring.scores["reasons"])


@pytest.mark.django_db
def test_thin_history_falls_back_to_the_rule(branch):
    mixed, twin, bond = products()
    clients = [factories.ClientFactory(branch=branch) for _ in range(40)]
    habit_book(clients, [mixed, twin], [bond], seed=3)
    scoring = propensity.score_candidates(
        [c.pk for c in clients], [c.pk for c in clients[:10]], mixed, horizon=30, today=TODAY
    )
    assert scoring.kind == "rule"
    assert scoring.details["why_rule"] == "thin_history"
    assert "coefficients" not in scoring.details
    assert sorted(scoring.scores["client_id"]) == sorted(c.pk for c in clients[:10])


REASONS = [
    {"code": "bought_similar", "params": {"count": 3, "days": 365}},
    {"code": "bought_same_type", "params": {"count": 1, "days": 365, "type": "mixed_fund"}},
    {"code": "bought_same_variety", "params": {"count": 2, "days": 365, "variety": "mixed"}},
    {"code": "bought_same_risk", "params": {"count": 4, "days": 365, "level": "R3"}},
    {"code": "bought_same_issuer", "params": {"count": 2, "days": 365, "issuer": "华夏基金"}},
    {"code": "holds_similar", "params": {"share": 40}},
    {"code": "net_inflow", "params": {"amount": 123_456_789, "days": 30}},
    {"code": "assets", "params": {"amount": 15_000_000_000}},
    {"code": "tier", "params": {"tier": "hnw"}},
    {"code": "active_trader", "params": {"trades": 30, "days": 365}},
    {"code": "long_tenure", "params": {"years": 7}},
    {"code": "age", "params": {"years": 52}},
    {"code": "behaviour", "params": {"segment": "long_term"}},
]


def test_every_reason_reads_in_english():
    with translation.override("en"):
        shown = [texts.reason_text(reason) for reason in REASONS]
    assert shown[0] == "bought similar products 3 times in 365 days"
    assert shown[6] == "net inflow of ¥1,234,568 in 30 days"
    assert shown[7] == "assets of ¥150,000,000"
    assert all(text and text != reason["code"] for text, reason in zip(shown, REASONS, strict=True))


def test_every_reason_reads_in_chinese_with_no_english():
    with translation.override("zh-hans"):
        shown = [texts.reason_text(reason) for reason in REASONS]
    assert "¥123.46万" in shown[6]
    assert "¥1.5亿" in shown[7]
    # Codes that are proper names (R3) are allowed; no English words.
    leftovers = [text for text in shown if ENGLISH_WORD.search(text.replace("R3", ""))]
    assert leftovers == []


def test_an_unknown_or_broken_reason_shows_its_code():
    assert texts.reason_text({"code": "mystery", "params": {}}) == "mystery"
    assert texts.reason_text({"code": "net_inflow", "params": {}}) == "net_inflow"
    assert texts.reasons_text([]) == "—"


@pytest.mark.django_db
def test_one_clients_scores_equal_the_book_paths_rule_scores(branch):
    mixed, twin, bond = products()
    other = factories.ClientFactory(branch=branch)
    client = factories.ClientFactory(
        branch=branch, tier="hnw", behavior_segment="long_term", birth_date=datetime.date(1970, 6, 1)
    )
    for n, item in enumerate([twin, twin, bond, mixed]):
        trade(client, item, TODAY - (10 + 50 * n) * DAY, amount=str(10000 + n))
    trade(client, bond, TODAY - 400 * DAY)  # over a year ago: not counted
    trade(client, twin, TODAY - 20 * DAY, side="sell")
    hold(client, twin, TODAY - DAY, value="25000")
    hold(client, bond, TODAY - DAY, value="5000")
    hold(other, bond, TODAY)  # the book's latest position day is today: the client holds nothing
    snapshot(client, TODAY - DAY, total="80000")
    snapshot(client, TODAY, total="90000")
    flow(client, TODAY - 10 * DAY, "5000")
    flow(client, TODAY - 60 * DAY, "7000", direction="out")
    single = propensity.recommendation_scores(client, [mixed, bond], today=TODAY)
    for item in (mixed, bond):
        frame = propensity.book_features([client.pk], propensity.Like.of(item), [TODAY], 30, TODAY)
        parts = propensity._scaled(frame)
        reasons = propensity.top_reasons(frame, parts, propensity.Like.of(item))[0]
        assert single[item.pk] == (round(float(parts.sum(axis=1).iloc[0]), 6), reasons)
    assert single[mixed.pk][1][0] == {"code": "bought_similar", "params": {"count": 3, "days": 365}}
    assert "holds_similar" not in [r["code"] for r in single[mixed.pk][1]]


# --- The next-best products ranked by a campaign's kept model ------------------------------------


def built(cast, product, *, code: str, unit=None, by=None, **fields) -> Campaign:
    """A campaign for ``product`` over the unit's clients, built (``build_targets``) as of TODAY."""
    by = by or cast.manager.user
    item = Campaign.objects.create(
        code=code, name=code, product=product, org_unit=unit or cast.tree["b1"], created_by=by, starts_on=TODAY,
        ends_on=TODAY + 29 * DAY, control_share=Decimal(0), **fields,
    )  # fmt: skip
    targeting.build_targets(item, by=by, today=TODAY)
    item.refresh_from_db()
    return item


def build_modelled():
    """500 clients of branch b1 (who match mixed funds) on a book where buyers of mixed funds buy
    again, and campaign MODEL for ``mixed`` built with the model."""
    cast = personas.cast(factories.org_tree())
    mixed, twin, bond = products()
    clients = []
    for _ in range(500):
        made = factories.ClientFactory(branch=cast.tree["b1"], birth_date=datetime.date(1980, 3, 1))
        personas.serve(made, cast.advisor)
        factories.RiskAssessmentFactory(client=made)
        clients.append(made)
    habit_book(clients, [mixed, twin], [bond], seed=6)  # a draw where the model beats the rule (0.90 > 0.89)
    campaign = built(cast, mixed, code="MODEL")
    assert campaign.model_kind == "model"
    return {"cast": cast, "campaign": campaign, "mixed": mixed, "twin": twin, "bond": bond, "clients": clients}


@pytest.fixture(scope="module")
def modelled_blueprint():
    return shared_rows.Shared("propensity-modelled", build_modelled)


@pytest.fixture
def modelled(db, modelled_blueprint, _shared_rows):
    """Built once for the module's consecutive tests that use it (``tests.shared_rows``)."""
    return _shared_rows.rows(modelled_blueprint)


def by_hand(kept: dict, frame) -> float:
    """The kept model applied with plain arithmetic: (x − mean) ÷ scale, · coefficients, logistic."""
    x = frame[kept["features"]].to_numpy(dtype=float)[0]
    standard = (x - np.array(kept["means"])) / np.array(kept["scales"])
    return float(1 / (1 + np.exp(-(standard @ np.array(kept["coefficients"]) + kept["intercept"]))))


def test_a_campaign_built_with_the_model_keeps_what_reapplies_it(modelled):
    kept = modelled["campaign"].model_details[propensity.KEPT]
    assert kept["features"] == propensity.FEATURES and kept["version"] == propensity.FEATURE_VERSION
    assert (kept["product_type"], kept["variety"]) == ("mixed_fund", "mixed")
    assert set(kept["transforms"]) == set(propensity.FEATURES)
    assert len(kept["means"]) == len(kept["scales"]) == len(kept["coefficients"]) == len(propensity.FEATURES)
    assert all(scale > 0 for scale in kept["scales"])
    # Full precision (the displayed coefficients are rounded).
    assert any(len(repr(value)) > 10 for value in kept["coefficients"])


def test_a_product_of_a_family_with_a_kept_model_scores_as_the_campaign_scored_the_client(modelled):
    campaign, mixed, twin = modelled["campaign"], modelled["mixed"], modelled["twin"]
    kept = campaign.model_details[propensity.KEPT]
    targets = list(CampaignTarget.objects.filter(campaign=campaign).order_by("rank"))
    assert len(targets) > 100
    for target in targets[:10] + targets[-10:]:
        scores = propensity.recommendation_scores(target.client, [mixed, twin, modelled["bond"]], today=TODAY)
        for item in (mixed, twin):  # the twin: same type, variety, risk level and issuer
            scored = scores[item.pk]
            assert (scored.scoring, scored.campaign) == ("model", "MODEL")
            assert scored == (target.score, target.reasons)  # the build's score and reasons, exactly
        frame = propensity.book_features([target.client_id], propensity.Like.of(mixed), [TODAY], 30, TODAY)
        assert scores[mixed.pk][0] == pytest.approx(by_hand(kept, frame), abs=1e-6)
    # The model's reasons are its contributions', not the rule's: the fans' best reason is theirs.
    assert targets[0].reasons and targets[0].reasons[0]["code"] in propensity.FEATURE_REASON.values()


def test_a_product_of_another_family_keeps_the_rule_score(modelled):
    client, bond = modelled["clients"][0], modelled["bond"]
    scored = propensity.recommendation_scores(client, [modelled["mixed"], bond], today=TODAY)[bond.pk]
    assert (scored.scoring, scored.campaign) == ("rule", "")
    frame = propensity.book_features([client.pk], propensity.Like.of(bond), [TODAY], 30, TODAY)
    parts = propensity._scaled(frame)
    assert scored == (
        round(float(parts.sum(axis=1).iloc[0]), 6),
        propensity.top_reasons(frame, parts, propensity.Like.of(bond))[0],
    )


def test_a_campaign_built_with_the_rule_or_cancelled_is_not_a_model(modelled):
    cast, mixed, twin = modelled["cast"], modelled["mixed"], modelled["twin"]
    # A later campaign of the same family over branch b2's three clients: thin history, the rule.
    for _ in range(3):
        factories.RiskAssessmentFactory(client=factories.ClientFactory(branch=cast.tree["b2"]))
    rule = built(cast, twin, code="RULE", unit=cast.tree["b2"], by=cast.hq_user.user)
    assert rule.model_kind == "rule" and propensity.KEPT not in rule.model_details
    assert rule.targets_built_at > modelled["campaign"].targets_built_at
    client = modelled["clients"][0]
    assert propensity.recommendation_scores(client, [mixed], today=TODAY)[mixed.pk].campaign == "MODEL"
    Campaign.objects.filter(code="MODEL").update(status=Campaign.Status.CANCELLED)
    assert propensity.recommendation_scores(client, [mixed], today=TODAY)[mixed.pk].scoring == "rule"
    Campaign.objects.filter(code="MODEL").update(status=Campaign.Status.FINISHED)
    assert propensity.recommendation_scores(client, [mixed], today=TODAY)[mixed.pk].campaign == "MODEL"


def test_with_kept_models_the_queries_stay_five_whatever_the_products(modelled, django_assert_max_num_queries):
    client = modelled["clients"][0]
    shelf = [modelled["mixed"], modelled["twin"], modelled["bond"]]
    shelf += [factories.ProductFactory(product_type="mixed_fund", variety="mixed") for _ in range(5)]
    shelf += [factories.ProductFactory() for _ in range(5)]
    with django_assert_max_num_queries(5):
        one = propensity.recommendation_scores(client, shelf[:1], today=TODAY)
    with django_assert_max_num_queries(5):
        many = propensity.recommendation_scores(client, shelf, today=TODAY)
    assert one[shelf[0].pk] == many[shelf[0].pk]
    assert [many[item.pk].scoring for item in shelf[:8]] == ["model"] * 2 + ["rule"] + ["model"] * 5
