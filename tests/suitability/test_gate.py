"""The set-based gate (suitability.gate) decides exactly what the rules decide client by client."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from clients.models import AssetSnapshot, Client
from suitability import gate as gates
from suitability import rules, services
from suitability.models import InvestorClassification
from tests import factories
from tests.suitability.conftest import product

TODAY = factories.TODAY
ALL = ["cash", "fixed_income", "equity", "mixed", "derivatives", "complex"]


def assessed(client, **fields):
    return factories.RiskAssessmentFactory(client=client, **fields)


def snapshots(client, amount: Decimal, days: int = 20, start: datetime.date = TODAY):
    AssetSnapshot.objects.bulk_create(
        AssetSnapshot(
            client=client,
            as_of=start - datetime.timedelta(days=n),
            total_assets=amount,
            cash=amount,
            securities=0,
        )
        for n in range(days)
    )


def varied_book() -> list[Client]:
    """Clients covering every reason a firm-initiated recommendation meets."""
    made = []
    branch = factories.org_tree()["b1"]

    def client(**fields):
        made.append(factories.ClientFactory(branch=branch, **fields))
        return made[-1]

    client()  # never assessed
    assessed(client(), valid_until=TODAY - datetime.timedelta(days=1))  # expired
    assessed(client(), valid_until=TODAY + datetime.timedelta(days=10))  # expiring
    assessed(client(), valid_until=TODAY)  # last valid day
    assessed(client(birth_date=datetime.date(1980, 1, 1)))  # C3 medium, cash/fixed/mixed
    assessed(client(), risk_level="C2")  # risk mismatch
    assessed(client(), horizon="short")  # horizon
    assessed(client(), varieties=["cash"])  # variety
    assessed(client(), risk_level="C1", lowest_category=True, horizon="long", varieties=ALL)  # lowest category
    assessed(client(), risk_level="C1", lowest_category=True, varieties=["fixed_income"])
    assessed(client(birth_date=datetime.date(1950, 3, 1)), risk_level="C5", horizon="long", varieties=ALL)  # elderly
    assessed(client(birth_date=datetime.date(1961, 11, 20)), risk_level="C5", horizon="long", varieties=ALL)  # 65 today
    assessed(client(birth_date=datetime.date(1961, 11, 21)), risk_level="C5", horizon="long", varieties=ALL)
    institution = client(client_type=Client.ClientType.INSTITUTION, birth_date=datetime.date(1940, 1, 1))
    assessed(institution, risk_level="C5", horizon="long", varieties=ALL)
    # Professionals: approved, expired, treated as ordinary, revoked.
    for status, treat, valid_until in (
        ("approved", False, None),
        ("approved", False, TODAY - datetime.timedelta(days=1)),
        ("approved", True, None),
        ("revoked", False, None),
    ):
        pro = client()
        assessed(pro, risk_level="C2", horizon="short", varieties=["cash"], investor_type="ordinary")
        InvestorClassification.objects.create(
            client=pro,
            investor_type="professional_b",
            status=status,
            treat_as_ordinary=treat,
            valid_until=valid_until,
            retain_until=datetime.date(2046, 1, 1),
        )
    unassessed_pro = client()
    InvestorClassification.objects.create(
        client=unassessed_pro, investor_type="professional_a", status="approved", retain_until=datetime.date(2046, 1, 1)
    )
    # Assets for the access threshold (500,000): above, exactly, below, few snapshots, none.
    for amount, days in ((Decimal("600000"), 20), (Decimal("500000"), 25), (Decimal("499999.99"), 20),
                         (Decimal("900000"), 3)):  # fmt: skip
        rich = client()
        assessed(rich, risk_level="C5", horizon="long", varieties=ALL)
        snapshots(rich, amount, days)
    # Older snapshots do not count: the last 20 are below the threshold.
    mixed = client()
    assessed(mixed, risk_level="C5", horizon="long", varieties=ALL)
    snapshots(mixed, Decimal("100000"), 20)
    snapshots(mixed, Decimal("10000000"), 20, start=TODAY - datetime.timedelta(days=20))
    # Snapshots every other day: the last 20 reach back 40 days (not the book's last 20 days).
    sparse = client()
    assessed(sparse, risk_level="C5", horizon="long", varieties=ALL)
    AssetSnapshot.objects.bulk_create(
        AssetSnapshot(client=sparse, as_of=TODAY - datetime.timedelta(days=2 * n), total_assets=amount,
                      cash=amount, securities=0)
        for n, amount in enumerate([Decimal("400000")] * 10 + [Decimal("600000")] * 10 + [Decimal("9000000")] * 5)
    )  # fmt: skip
    # A re-assessment: the latest counts.
    again = client()
    assessed(
        again,
        risk_level="C5",
        horizon="long",
        varieties=ALL,
        assessed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )
    assessed(again, risk_level="C1", assessed_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    return made


PRODUCTS = {
    "plain": {},
    "high_risk": {"risk_level": "R4", "horizon": "long", "variety": "equity"},
    "r5_recorded": {"risk_level": "R5", "horizon": "short", "variety": "mixed", "needs_dual_recording": True},
    "r1_cash": {"risk_level": "R1", "horizon": "short", "variety": "cash"},
    "professional": {"risk_level": "R4", "variety": "complex", "professional_only": True},
    "threshold": {
        "risk_level": "R4",
        "horizon": "long",
        "variety": "derivatives",
        "access_min_assets": Decimal("500000"),
    },  # fmt: skip
}


def one_by_one(clients, item, today):
    policy = services.policy()
    sale = rules.Sale(today=today, initiated_by="advisor")
    out = {}
    for client in clients:
        decision = rules.check(services.investor_profile(client, today), services.product_profile(item), sale, policy)
        out[client.pk] = (
            str(decision.outcome),
            tuple(r.code for r in decision.reasons),
            tuple(decision.mismatched),
            tuple(decision.requires),
        )
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(PRODUCTS))
def test_gate_equals_the_rules_client_by_client(kind):
    clients = varied_book()
    item = product(**PRODUCTS[kind])
    frame = gates.gate([c.pk for c in clients], item, TODAY)
    got = {
        row.client_id: (row.outcome, row.codes, row.mismatched, row.requires) for row in frame.itertuples(index=False)
    }
    assert got == one_by_one(clients, item, TODAY)


@pytest.mark.django_db
def test_the_book_meets_every_reason_and_every_outcome_but_confirmable():
    clients = varied_book()
    codes, outcomes, requires = set(), set(), set()
    for fields in PRODUCTS.values():
        frame = gates.gate([c.pk for c in clients], product(**fields), TODAY)
        codes |= {code for row in frame["codes"] for code in row}
        outcomes |= set(frame["outcome"])
        requires |= {step for row in frame["requires"] for step in row}
    assert codes >= {
        "assessment_missing", "assessment_expired", "assessment_expiring", "professional_only",
        "access_threshold_not_met", "access_assets_unknown", "lowest_category_above_r1",
        "lowest_category_cannot_confirm", "mismatch_not_client_initiated", "risk_mismatch", "horizon_mismatch",
        "variety_mismatch", "professional_investor", "match", "high_risk_duties", "elderly_enhanced_flow",
        "product_needs_recording",
    }  # fmt: skip
    # Advisor-initiated: a mismatch is never confirmable.
    assert outcomes == {"match", "prohibited"}
    assert requires == {"special_warning", "dual_recording", "consideration_period", "callback"}


@pytest.mark.django_db
def test_a_fixed_number_of_queries_whatever_the_number_of_clients(django_assert_max_num_queries):
    clients = varied_book()
    item = product(**PRODUCTS["threshold"])
    services.policy()  # thresholds cached after the first read
    with django_assert_max_num_queries(6):
        small = gates.gate([clients[0].pk], item, TODAY)
    with django_assert_max_num_queries(6):
        large = gates.gate([c.pk for c in clients], item, TODAY)
    assert len(small) == 1 and len(large) == len(clients)


@pytest.mark.django_db
def test_average_assets_equal_the_per_client_average():
    clients = varied_book()
    averages = gates.average_assets([c.pk for c in clients], TODAY)
    expected = {c.pk: services.average_assets(c.pk, TODAY) for c in clients}
    assert averages == {pk: value for pk, value in expected.items() if value is not None}
    assert Decimal("500000.00") in averages.values()  # the sparse client: 10 at 400k, 10 at 600k


@pytest.mark.django_db
def test_no_clients_and_unknown_ids_give_no_rows():
    item = product()
    assert gates.gate([], item, TODAY).empty
    assert gates.gate([987654321], item, TODAY).empty
