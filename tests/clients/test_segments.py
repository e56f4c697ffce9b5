"""Segment criteria (the client list's filters) against a hand-checked book: every criterion,
several values at once, validation naming the key, criteria in words, and the count's cost."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from alerts.models import Alert
from clients.filters import ClientFilter, _years_before
from clients.models import CashFlow, Client, Position, Transaction
from clients.segments import (
    count_clients,
    criteria_from_query,
    describe_criteria,
    segment_clients,
    validate_criteria,
)
from tests import factories, personas

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


@pytest.fixture
def root(db):
    user = factories.UserFactory(username="root")
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def book(tree):
    """Four clients whose every criterion is known by hand:

    ``a``: HNW, 2m (average 1.5m), 66, client 12 years, valid assessment, professional A,
    contacted 10 days ago, holds P1 (stock, equity, R4) today, bought 5 days ago, +500k in.
    ``b``: mass, 50k (average 60k), 31 today, client 400 days, assessment expiring in 10 days,
    ordinary, opted out, contacted 200 days ago, holds P2 (bond fund, fixed income, R2) today and
    held P1 only on an earlier day, redeemed 10 days ago, −300k out (and +1m in 100 days ago).
    ``c``: affluent, 500k, no birth date, no opening date, assessment expired, never assessed
    class, never contacted, a zero position in P3, an open churn-risk alert.
    ``d``: UHNW, 20m, branch SH02 (advisor of team SH02T1), no assessment, professional C, a
    contact-due alert already done.
    """
    advisor_t1 = personas.staff("adv_t1", tree["t1"], ["advisor"])
    advisor_t2 = personas.staff("adv_t2", tree["t2"], ["advisor"])
    b1, b2 = tree["b1"], tree["b2"]
    rows = {
        "a": factories.ClientFactory(
            branch=b1,
            tier="hnw",
            total_assets=Decimal("2000000"),
            average_assets=Decimal("1500000"),
            birth_date=_years_before(today(), 66) - datetime.timedelta(days=30),
            opened_on=_years_before(today(), 12),
            churn_score=0.1,
        ),
        "b": factories.ClientFactory(
            branch=b1,
            tier="mass",
            total_assets=Decimal("50000"),
            average_assets=Decimal("60000"),
            birth_date=_years_before(today(), 31),
            opened_on=ago(400),
            marketing_opt_out=True,
            churn_score=0.5,
        ),
        "c": factories.ClientFactory(
            branch=b1, tier="affluent", total_assets=Decimal("500000"), opened_on=None, churn_score=0.8
        ),
        "d": factories.ClientFactory(branch=b2, tier="uhnw", total_assets=Decimal("20000000")),
    }
    personas.serve(rows["a"], advisor_t1)
    personas.serve(rows["d"], advisor_t2)
    now = timezone.now()
    updates = {
        "a": {"risk_valid_until": ago(-100), "investor_type": "professional_a"},
        "b": {"risk_valid_until": ago(-10), "investor_type": "ordinary", "marketing_opt_out": True},
        "c": {"risk_valid_until": ago(1), "investor_type": ""},
        "d": {"risk_valid_until": None, "investor_type": "professional_c"},
    }
    updates["a"]["last_contact_at"] = now - datetime.timedelta(days=10)
    updates["b"]["last_contact_at"] = now - datetime.timedelta(days=200)
    for name, fields in updates.items():
        Client.objects.filter(pk=rows[name].pk).update(**fields)

    p1 = factories.ProductFactory(code="P1", product_type="stock", variety="equity", risk_level="R4")
    p2 = factories.ProductFactory(code="P2", product_type="bond_fund", variety="fixed_income", risk_level="R2")
    p3 = factories.ProductFactory(code="P3", product_type="etf", variety="equity", risk_level="R3")
    accounts = {name: factories.AccountFactory(client=client) for name, client in rows.items()}
    latest = ago(1)

    def hold(name, product, day, quantity=1):
        Position.objects.create(
            account=accounts[name], client=rows[name], product=product, as_of=day, quantity=quantity,
            market_value=100, cost=100,
        )  # fmt: skip

    hold("a", p1, latest)
    hold("b", p2, latest)
    hold("b", p1, ago(5))
    hold("c", p3, latest, quantity=0)

    def trade(name, side, day, n):
        Transaction.objects.create(
            trade_id=f"T{n}", account=accounts[name], client=rows[name], product=p1, trade_date=day, side=side,
            quantity=1, price=100, amount=100,
        )  # fmt: skip

    trade("a", Transaction.Side.BUY, ago(5), 1)
    trade("b", Transaction.Side.REDEEM, ago(10), 2)
    trade("b", Transaction.Side.BUY, ago(40), 3)

    def flow(name, direction, amount, day, n):
        CashFlow.objects.create(
            flow_id=f"F{n}", account=accounts[name], client=rows[name], flow_date=day, direction=direction,
            amount=Decimal(amount),
        )  # fmt: skip

    flow("a", "in", "500000", ago(5), 1)
    flow("b", "out", "300000", ago(10), 2)
    flow("b", "in", "1000000", ago(100), 3)

    factories.AlertFactory(client=rows["c"], advisor=advisor_t1, kind=Alert.Kind.CHURN_RISK)
    factories.AlertFactory(client=rows["d"], advisor=advisor_t2, kind=Alert.Kind.CONTACT_DUE, status=Alert.Status.DONE)
    return rows


def match(root, book, **criteria) -> set[str]:
    names = {client.pk: name for name, client in book.items()}
    return {names[pk] for pk in segment_clients(criteria, root).values_list("pk", flat=True)}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, {"a", "b", "c", "d"}),
        ({"tier": "hnw"}, {"a"}),
        ({"tier": ["hnw", "uhnw"]}, {"a", "d"}),
        ({"assets_min": 500000}, {"a", "c", "d"}),
        ({"assets_max": "500000"}, {"b", "c"}),
        ({"assets_min": 100000, "assets_max": 1000000}, {"c"}),
        ({"assets_min": "1999999.99", "assets_max": "2000000"}, {"a"}),
        ({"average_assets_min": 1000000}, {"a"}),
        ({"average_assets_max": 100000}, {"b", "c", "d"}),
        ({"risk_validity": "valid"}, {"a", "b"}),
        ({"risk_validity": "expiring"}, {"b"}),
        ({"risk_validity": "expired"}, {"c"}),
        ({"risk_validity": "missing"}, {"d"}),
        ({"risk_validity": ["expired", "missing"]}, {"c", "d"}),
        ({"assessment_expired": True}, {"c", "d"}),
        ({"investor_type": "professional"}, {"a", "d"}),
        ({"investor_type": "ordinary"}, {"b"}),
        ({"investor_type": ["professional_c", "ordinary"]}, {"b", "d"}),
        ({"holds_product": "P1"}, {"a"}),  # b held it on an earlier day only
        ({"not_holds_product": "P1"}, {"b", "c", "d"}),
        ({"holds_product": "P3"}, set()),  # a zero quantity is not a holding
        ({"holds_product_type": "bond_fund"}, {"b"}),
        ({"holds_variety": "equity"}, {"a"}),
        ({"holds_risk_level": ["R4", "R2"]}, {"a", "b"}),
        ({"holds_risk_level": "R5"}, set()),
        ({"bought_within_days": 7}, {"a"}),
        ({"bought_within_days": 3}, set()),
        ({"redeemed_within_days": 30}, {"b"}),
        ({"net_flow_min": 100000}, {"a"}),
        ({"net_flow_max": -100000}, {"b"}),
        ({"net_flow_min": -100000}, {"a", "c", "d"}),  # no flows: a net of 0
        ({"net_flow_max": -100000, "flow_days": 3}, set()),
        ({"net_flow_min": 500000, "flow_days": 400}, {"a", "b"}),  # b: +1m − 300k
        ({"net_flow_min": -1, "net_flow_max": 1}, {"c", "d"}),
        ({"age_min": 60}, {"a"}),
        ({"age_min": 31, "age_max": 31}, {"b"}),  # 31 today
        ({"age_max": 30}, set()),
        ({"tenure_min_years": 10}, {"a"}),
        ({"tenure_max_years": 1}, {"b"}),
        ({"org_unit": "SH02"}, {"d"}),
        ({"org_unit": "SH"}, {"a", "b", "c", "d"}),
        ({"org_unit": "SH01T1"}, {"a"}),  # a team: its advisors' clients
        ({"org_unit": "SH02T1"}, {"d"}),
        ({"branch": "SH01"}, {"a", "b", "c"}),
        ({"advisor": "ADV_T2"}, {"d"}),
        ({"contact_older_than_days": 90}, {"b", "c", "d"}),
        ({"open_alert_kind": "churn_risk"}, {"c"}),
        ({"open_alert_kind": "contact_due"}, set()),  # d's is done
        ({"open_alert_kind": ["contact_due", "churn_risk"]}, {"c"}),
        ({"open_alert": True}, {"c"}),
        ({"marketing_opt_out": True}, {"b"}),
        ({"marketing_opt_out": False}, {"a", "c", "d"}),
        ({"churn_band": ["low", "high"]}, {"a", "c"}),
        ({"churn_band": "medium"}, {"b"}),
        ({"tier": ["hnw", "mass"], "holds_product_type": "stock", "bought_within_days": 30}, {"a"}),
    ],
)
def test_each_criterion_selects_the_hand_checked_clients(root, book, criteria, expected):
    assert match(root, book, **criteria) == expected


def test_several_values_arrive_from_a_query_string_and_one_still_works(root, book):
    from django.http import QueryDict

    several = ClientFilter(QueryDict("tier=hnw&tier=uhnw&holds_risk_level=R4"), queryset=Client.objects.all())
    assert {c.tier for c in several.qs} == {"hnw"}
    one = ClientFilter(QueryDict("tier=uhnw"), queryset=Client.objects.all())
    assert [c.pk for c in one.qs] == [book["d"].pk]
    assert criteria_from_query(QueryDict("tier=hnw&tier=uhnw&age_min=30&q=&bogus=1")) == {
        "tier": ["hnw", "uhnw"],
        "age_min": "30",
    }


def test_validation_names_the_unknown_key(db):
    with pytest.raises(ValidationError) as error:
        validate_criteria({"tier": "hnw", "tierz": "gold"})
    assert set(error.value.message_dict) == {"tierz"}
    assert "tierz" in error.value.message_dict["tierz"][0]


def test_a_segment_cannot_hold_a_segment(db):
    with pytest.raises(ValidationError) as error:
        validate_criteria({"segment": 1})
    assert set(error.value.message_dict) == {"segment"}


@pytest.mark.parametrize(
    ("criteria", "bad"),
    [
        ({"tier": "gold"}, "tier"),
        ({"tier": ["hnw", "gold"]}, "tier"),
        ({"age_min": "old"}, "age_min"),
        ({"age_min": -1}, "age_min"),
        ({"assets_min": "-5"}, "assets_min"),
        ({"holds_product": "NOPE"}, "holds_product"),
        ({"org_unit": "NOWHERE"}, "org_unit"),
        ({"bought_within_days": 0}, "bought_within_days"),
        ({"investor_type": "professional_d"}, "investor_type"),
        ({"risk_validity": "soon"}, "risk_validity"),
        ({"open_alert_kind": {"x": 1}}, "open_alert_kind"),
        ({"net_flow_min": "1e400"}, "net_flow_min"),
    ],
)
def test_a_bad_value_is_the_filters_error_on_its_criterion(db, tree, criteria, bad):
    factories.ProductFactory(code="P1")
    with pytest.raises(ValidationError) as error:
        validate_criteria(criteria)
    assert set(error.value.message_dict) == {bad}


def test_criteria_that_are_not_an_object_are_refused(db):
    with pytest.raises(ValidationError) as error:
        validate_criteria(["tier"])
    assert "criteria" in error.value.message_dict


def test_validation_normalises_what_it_keeps(db, tree):
    factories.ProductFactory(code="P1")
    assert validate_criteria(
        {"tier": "hnw", "assets_min": "1000000.00", "net_flow_max": "-2.50", "holds_product": "P1", "age_min": "30"}
        | {"marketing_opt_out": False, "q": "", "org_unit": "SH01", "risk_validity": ["expired", "expired"]}
    ) == {
        "tier": ["hnw"],
        "assets_min": 1000000,
        "net_flow_max": "-2.5",
        "holds_product": "P1",
        "age_min": 30,
        "marketing_opt_out": False,
        "org_unit": "SH01",
        "risk_validity": ["expired"],
    }


def test_invalid_criteria_never_widen_the_set(root, book):
    with pytest.raises(ValidationError):
        segment_clients({"tier": "gold"}, root)


def test_criteria_in_words(db, tree):
    factories.ProductFactory(code="P1", name="茅台")
    with translation.override("en"):
        words = describe_criteria(
            {"tier": ["hnw", "uhnw"], "assets_min": 1000000, "holds_product": "P1", "marketing_opt_out": False}
            | {"org_unit": "SH01", "investor_type": ["professional"], "open_alert_kind": "churn_risk"}
        )
    assert words == [
        ("Tier", "High net worth, Ultra high net worth"),
        ("Total assets from (yuan)", "1,000,000"),
        ("Holds the product (code)", "P1 茅台"),
        ("Investor type", "Any professional investor"),
        ("Has an open alert of kind", "Churn risk"),
        ("Opted out of marketing", "no"),
        ("Org unit (code)", "SH01 SH01"),
    ]
    assert describe_criteria({}) == []


def test_counting_is_one_statement_whatever_the_criteria(root, book):
    criteria = {
        "tier": ["hnw", "mass"],
        "holds_product_type": "stock",
        "assets_min": 1000,
        "bought_within_days": 30,
        "net_flow_max": 10_000_000,
        "contact_older_than_days": 5,
        "open_alert_kind": "churn_risk",
        "investor_type": "professional",
        "risk_validity": "valid",
        "age_min": 18,
    }
    with CaptureQueriesContext(connection) as queries:
        assert count_clients(criteria, root) == 0
    statements = [q["sql"] for q in queries.captured_queries]
    reads = [sql for sql in statements if sql.upper().startswith("SELECT")]
    assert len(reads) == 1 and "COUNT(" in reads[0].upper()
    # Besides: the transaction that turns JIT off for it (``SET LOCAL``), nothing.
    assert all(
        sql.split()[0].upper() in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "SET")
        for sql in statements
        if sql not in reads
    )
