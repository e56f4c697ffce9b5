"""The nightly drift step, set-based (``suitability.drift``): on a generated book with a
mix of profiles it raises exactly the alerts the per-client on-change path raises, a rerun
raises none, an alert whose holding no longer drifts is closed, and its query count does not
grow with the book. Plus the premise of grouping
holders by profile: ``drift_reasons`` reads nothing the grouping leaves out."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import given

from alerts.models import Alert
from clients.models import Client, Position
from products.models import Product
from suitability import services
from suitability.models import InvestorClassification, retention_date
from suitability.rules import InvestorProfile, drift_reasons
from tests import factories
from tests.suitability.conftest import product
from tests.suitability.test_properties import investors, products

TODAY = factories.TODAY
MONTH_END = datetime.date(2026, 10, 30)  # an earlier position day: what was held then and not today was sold
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
        elif kind != "month_end_only":  # an older day is never read (month_end_only: sold everything since)
            position(other, products_held[5], MONTH_END)
        clients.append(client)
    Product.objects.filter(pk=products_held[2].pk).update(risk_level="R5")
    Product.objects.filter(pk=products_held[0].pk).update(variety="equity", professional_only=True)
    return clients


def drift_alerts() -> set[tuple]:
    return {
        (a.dedupe_key, a.advisor_id, a.client_id, repr(a.params), a.due_on, repr(sorted(a.payload.items())))
        for a in Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT)
    }


def test_the_set_based_nightly_drift_raises_exactly_the_per_client_paths_alerts(branch_advisor):
    clients = book(2 * len(KINDS), *branch_advisor)
    created = services.nightly_drift(TODAY)
    nightly = drift_alerts()
    assert created["raised"] == len(nightly) > 10
    assert created["closed"] == created["kept"] == 0
    unassigned = sum(kind == "no_advisor" for kind in KINDS * 2)
    assert created["unassigned"] > 0 and created["unassigned"] <= 4 * unassigned
    rerun = services.nightly_drift(TODAY)  # a rerun raises nothing and keeps everything
    assert rerun == {"raised": 0, "closed": 0, "kept": len(nightly), "unassigned": created["unassigned"]}

    Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT).delete()
    per_client = sum(services.raise_drift_alerts(client_ids=[c.pk], today=TODAY) for c in clients)
    assert per_client == created["raised"]
    assert drift_alerts() == nightly
    # The book does exercise what it is meant to: keys without an assessment, re-rated
    # products, professional-only drift; nobody who sold everything since an earlier position
    # day, nobody without an advisor.
    keys = {key for key, *_ in nightly}
    assert any("|-|" in key for key in keys)
    assert any(key.endswith("|R5-medium-mixed-0") for key in keys)
    assert any("professional_only" in payload for *_, payload in nightly)
    month_end = {c.pk for c, kind in zip(clients, KINDS * 2, strict=True) if kind == "month_end_only"}
    assert Position.objects.filter(client_id__in=month_end, as_of=MONTH_END, product__risk_level="R5").exists()
    assert not month_end & {client_id for _, _, client_id, *_ in nightly}
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
    # Small enough that every alert goes in one statement.
    book(4, *branch_advisor)
    with CaptureQueriesContext(connection) as small:
        assert services.nightly_drift(TODAY)["raised"] > 0
    Alert.objects.all().delete()
    book(8, *branch_advisor, seed=6)
    with CaptureQueriesContext(connection) as large:
        assert services.nightly_drift(TODAY)["raised"] > 0
    # open alerts; the book's day and its rows; assessments, classifications, products;
    # advisors, new keys, insert
    assert len(large) == len(small) == 9
    with CaptureQueriesContext(connection) as rerun:
        assert services.nightly_drift(TODAY)["raised"] == 0
    assert len(rerun) == 6  # every key is open: no advisor or key looked up, nothing inserted


def test_an_alert_whose_holding_no_longer_drifts_is_closed_and_not_raised_again(branch_advisor):
    book(len(KINDS), *branch_advisor)
    first = services.nightly_drift(TODAY)
    assert first["raised"] > 3
    alerts = list(Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT).order_by("pk"))
    sold, snoozed, kept = alerts[0], alerts[1], alerts[2:]
    Alert.objects.filter(pk=snoozed.pk).update(
        status=Alert.Status.SNOOZED, snoozed_until=TODAY + datetime.timedelta(days=7)
    )
    # The next day's positions file: everything as today, except the two alerts' holdings.
    tomorrow = TODAY + datetime.timedelta(days=1)
    gone = {(sold.client_id, sold.payload["product"]), (snoozed.client_id, snoozed.payload["product"])}
    for row in Position.objects.filter(as_of=TODAY).select_related("account", "client", "product"):
        if (row.client_id, row.product_id) not in gone:
            Position.objects.create(
                account=row.account,
                client=row.client,
                product=row.product,
                as_of=tomorrow,
                quantity=row.quantity,
                market_value=row.market_value,
                cost=row.cost,
            )
    second = services.nightly_drift(tomorrow)
    assert second == {"raised": 0, "closed": 2, "kept": len(kept), "unassigned": first["unassigned"]}
    for alert in (sold, snoozed):
        alert.refresh_from_db()
        assert alert.status == Alert.Status.DONE and alert.closed_at is not None
        assert (alert.closed_by, alert.close_note) == (None, "")  # closed by the raising path
        with translation.override("en"):
            assert "no longer holds" in alert.display_close_note
    assert set(Alert.objects.filter(pk__in=[a.pk for a in kept]).values_list("status", flat=True)) == {"open"}
    # Bought back under the same assessment and rating: the key exists, the advisor dealt with
    # it once, and it is not raised again; a rerun changes nothing.
    assert services.nightly_drift(TODAY) == {**first, "raised": 0, "kept": len(kept)}
    assert Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT).count() == len(alerts)


@pytest.mark.django_db
def test_an_empty_book_raises_nothing_in_two_queries():
    with CaptureQueriesContext(connection) as queries:
        assert services.nightly_drift(TODAY) == {"raised": 0, "closed": 0, "kept": 0, "unassigned": 0}
    assert len(queries) == 2  # open alerts; the book's position day


@given(investors(), products())
def test_drift_reads_nothing_the_nightly_grouping_leaves_out(investor, product_profile):
    """The nightly run groups holders by type, level, lowest category, horizon and varieties
    only (``suitability.drift``): the birth date, validity and assets must not matter."""
    bare = InvestorProfile(
        investor_type=investor.investor_type,
        risk_level=investor.risk_level,
        lowest_category=investor.lowest_category,
        horizon=investor.horizon,
        varieties=investor.varieties,
    )
    assert drift_reasons(investor, product_profile) == drift_reasons(bare, product_profile)
