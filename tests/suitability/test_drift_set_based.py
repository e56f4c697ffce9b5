"""The nightly drift step, set-based (``suitability.nightly_drift``): on a generated book with a
mix of profiles it raises exactly the alerts the per-client on-change path raises, a rerun
raises none, and its query count does not grow with the book. Plus the premise of grouping
holders by profile: ``drift_reasons`` reads nothing the grouping leaves out."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given

from advisors.models import Alert
from clients.models import Client, Position
from products.models import Product
from suitability import services
from suitability.models import InvestorClassification, retention_date
from suitability.rules import InvestorProfile, drift_reasons
from tests import factories
from tests.suitability.conftest import product
from tests.suitability.test_properties import investors, products

TODAY = factories.TODAY
MONTH_END = datetime.date(2026, 10, 30)  # the latest day of clients who hold nothing since
VARIETIES = ["cash", "fixed_income", "equity", "mixed", "derivatives", "complex"]
KINDS = (
    "assessed",
    "assessed",
    "assessed",
    "lowest",
    "reassessed",
    "expired",
    "none",
    "professional_b",
    "treated_as_ordinary",
    "revoked",
    "professional_expired",
    "professional_a_from_assessment",
    "elderly",
    "institution",
    "no_advisor",
    "month_end_only",
    "sold_out",
)


def shelf() -> list[Product]:
    """Products across levels, horizons and varieties, one professional-only."""
    return [
        product(risk_level="R1", horizon="short", variety="cash"),
        product(risk_level="R2", horizon="medium", variety="fixed_income"),
        product(risk_level="R3", horizon="medium", variety="mixed"),
        product(risk_level="R3", horizon="long", variety="equity"),
        product(risk_level="R4", horizon="long", variety="equity"),
        product(risk_level="R5", horizon="long", variety="derivatives"),
        product(risk_level="R2", horizon="short", variety="complex", professional_only=True),
    ]


def position(account, held, day, quantity=10, value="1234.56"):
    Position.objects.create(
        account=account,
        client=account.client,
        product=held,
        as_of=day,
        quantity=quantity,
        market_value=Decimal(value),
        cost=Decimal(value),
    )


def classified(client, investor_type, **fields):
    return InvestorClassification.objects.create(
        client=client,
        investor_type=investor_type,
        status=fields.pop("status", InvestorClassification.Status.APPROVED),
        decided_on=TODAY - datetime.timedelta(days=100),
        retain_until=retention_date(TODAY),
        **fields,
    )


def assessed(client, rng, at_days_ago=30, **fields):
    level = rng.choice(["C1", "C2", "C3", "C4", "C5"])
    defaults = {
        "risk_level": level,
        "horizon": rng.choice(["short", "medium", "long"]),
        "varieties": rng.sample(VARIETIES, rng.randint(0, 4)),
        "valid_until": TODAY + datetime.timedelta(days=400),
        "assessed_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(days=300 - at_days_ago),
    }
    return factories.RiskAssessmentFactory(client=client, **{**defaults, **fields})


def client_of(kind, rng, branch, advisor):
    fields = {"branch": branch, "primary_advisor": None if kind == "no_advisor" else advisor}
    if kind == "elderly":
        fields["birth_date"] = datetime.date(1950, 3, 1)
    elif kind == "institution":
        fields["client_type"] = Client.ClientType.INSTITUTION
    else:
        fields["birth_date"] = datetime.date(1980 + rng.randint(0, 20), 6, 15)
    client = factories.ClientFactory(**fields)
    if kind == "none":
        return client
    if kind == "lowest":
        assessed(client, rng, risk_level="C1", lowest_category=True)
    elif kind == "reassessed":  # an older, higher assessment is superseded by the latest
        assessed(client, rng, at_days_ago=200, risk_level="C5", horizon="long", varieties=VARIETIES)
        assessed(client, rng, at_days_ago=10, risk_level="C1")
    elif kind == "expired":
        assessed(client, rng, valid_until=TODAY - datetime.timedelta(days=5))
    elif kind == "professional_a_from_assessment":
        assessed(client, rng, investor_type="professional_a", risk_level="C1")
    else:
        assessed(client, rng)
    if kind == "professional_b":
        classified(client, "professional_b")
    elif kind == "treated_as_ordinary":
        classified(client, "professional_b", status="approved")
        classified(client, "professional_b", treat_as_ordinary=True)
    elif kind == "revoked":
        classified(client, "professional_c", valid_until=TODAY + datetime.timedelta(days=30))
        classified(client, "professional_c", status=InvestorClassification.Status.REVOKED)
    elif kind == "professional_expired":
        classified(client, "professional_c", valid_until=TODAY - datetime.timedelta(days=1))
    return client


@pytest.fixture
def branch_advisor(tree):
    return tree["b1"], factories.AdvisorFactory(org_unit=tree["t1"])


def book(size: int, branch, advisor, seed: int = 5) -> list[Client]:
    """``size`` clients of every kind in turn, each holding two to four products of the shelf
    (some through two accounts), then two products re-rated as an import writes it."""
    rng = random.Random(seed)
    products_held = shelf()
    clients = []
    for n in range(size):
        kind = KINDS[n % len(KINDS)]
        client = client_of(kind, rng, branch, advisor)
        accounts = [factories.AccountFactory(client=client), factories.AccountFactory(client=client)]
        day = MONTH_END if kind == "month_end_only" else TODAY
        for held in rng.sample(products_held, rng.randint(2, 4)):
            position(accounts[0], held, day, value=f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}")
            if rng.random() < 0.3:
                position(accounts[1], held, day, value="100.01")
        other = factories.AccountFactory(client=client)
        if kind == "sold_out":  # held at the month end, sold since: only what is held today counts
            position(other, products_held[5], MONTH_END)
            position(other, products_held[5], TODAY, quantity=0, value="0")
        elif kind != "month_end_only":  # an older day is never read
            position(other, products_held[5], MONTH_END)
        clients.append(client)
    Product.objects.filter(pk=products_held[2].pk).update(risk_level="R5")
    Product.objects.filter(pk=products_held[0].pk).update(variety="equity", professional_only=True)
    return clients


def drift_alerts() -> set[tuple]:
    return {
        (a.dedupe_key, a.advisor_id, a.client_id, a.title, a.reason, a.due_on, repr(sorted(a.payload.items())))
        for a in Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT)
    }


def test_the_set_based_nightly_drift_raises_exactly_the_per_client_paths_alerts(branch_advisor):
    clients = book(2 * len(KINDS), *branch_advisor)
    created = services.nightly_drift(TODAY)
    nightly = drift_alerts()
    assert created == len(nightly) > 10
    assert services.nightly_drift(TODAY) == 0  # a rerun raises nothing

    Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT).delete()
    per_client = sum(services.raise_drift_alerts(client_ids=[c.pk], today=TODAY) for c in clients)
    assert per_client == created
    assert drift_alerts() == nightly
    # The book does exercise what it is meant to: keys without an assessment, re-rated
    # products, professional-only drift, a month-end holder; nobody without an advisor.
    keys = {key for key, *_ in nightly}
    assert any(":-:" in key for key in keys)
    assert any(key.endswith(":R5-medium-mixed-0") for key in keys)
    assert any("professional_only" in payload for *_, payload in nightly)
    month_end = {c.pk for c, kind in zip(clients, KINDS * 2, strict=True) if kind == "month_end_only"}
    assert month_end & {client_id for _, _, client_id, *_ in nightly}
    unserved = {c.pk for c in clients if c.primary_advisor_id is None}
    assert not unserved & {client_id for _, _, client_id, *_ in nightly}


def test_the_nightly_drift_finds_what_find_drift_finds_for_the_whole_book(branch_advisor):
    book(len(KINDS), *branch_advisor)
    expected = {
        (d.holding.client_id, d.holding.product_id, d.mismatched)
        for d in services.find_drift(client_ids=list(Client.objects.values_list("pk", flat=True)), today=TODAY)
        if Client.objects.filter(pk=d.holding.client_id, primary_advisor__isnull=False).exists()
    }
    services.nightly_drift(TODAY)
    raised = {
        (a.client_id, a.payload["product"], tuple(a.payload["mismatched"]))
        for a in Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT)
    }
    assert raised == expected


def test_the_nightly_drifts_query_count_does_not_grow_with_the_book(branch_advisor):
    # Small enough that SQLite inserts every alert in one statement (999 parameters at most).
    book(4, *branch_advisor)
    with CaptureQueriesContext(connection) as small:
        assert services.nightly_drift(TODAY) > 0
    Alert.objects.all().delete()
    book(8, *branch_advisor, seed=6)
    with CaptureQueriesContext(connection) as large:
        assert services.nightly_drift(TODAY) > 0
    # holdings (on PostgreSQL: the book's day, its rows, the absent clients' earlier days;
    # elsewhere one statement), assessments, classifications, products, advisors; existing
    # keys, insert
    holdings = 3 if connection.vendor == "postgresql" else 1
    assert len(large) == len(small) == holdings + 6
    with CaptureQueriesContext(connection) as rerun:
        assert services.nightly_drift(TODAY) == 0
    assert len(rerun) == holdings + 5  # every key exists: nothing to insert


@pytest.mark.django_db
def test_an_empty_book_raises_nothing_in_one_query():
    with CaptureQueriesContext(connection) as queries:
        assert services.nightly_drift(TODAY) == 0
    assert len(queries) == 1


@given(investors(), products())
def test_drift_reads_nothing_the_nightly_grouping_leaves_out(investor, product_profile):
    """The nightly run groups holders by type, level, lowest category, horizon and varieties
    only (``suitability.nightly_drift``): the birth date, validity and assets must not matter."""
    bare = InvestorProfile(
        investor_type=investor.investor_type,
        risk_level=investor.risk_level,
        lowest_category=investor.lowest_category,
        horizon=investor.horizon,
        varieties=investor.varieties,
    )
    assert drift_reasons(investor, product_profile) == drift_reasons(bare, product_profile)
