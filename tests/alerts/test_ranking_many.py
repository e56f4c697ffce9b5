"""The ranked list's clients for a scope of many alerts (``ranking.ClientsOfMany``) are the
ones the plain aggregate (``ranking.top_clients``) chooses, whichever of its steps answers."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts import ranking
from alerts.models import Alert, open_now
from core.choices import Tier
from tests import factories
from tests.alerts.test_ranking import alert
from tests.personas import serve, staff
from workbench import dashboard

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SEVERITIES = ("info", "warning", "critical")
KINDS = (Alert.Kind.BIRTHDAY, Alert.Kind.MATURITY, Alert.Kind.CONTACT_DUE)


def client_of(tree, advisor, tier, assets):
    client = factories.ClientFactory(branch=tree["b1"], tier=tier, total_assets=Decimal(assets))
    serve(client, advisor)
    return client


def both(alerts, limit):
    """(plain, of many): the chosen client ids, each in its order."""
    plain = list(ranking.top_clients(alerts, limit, TODAY).values_list("client_id", flat=True))
    return plain, ranking.ClientsOfMany.of(alerts, limit, TODAY).client_ids()


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


@pytest.fixture
def advisor(tree):
    return staff("ding", tree["t1"], ["advisor"])


def test_rich_clients_late_on_critical_alerts_are_found_among_the_rich_alone(tree, advisor):
    # UHNW 30 + ¥2亿 (band 8) 24 + critical 40 + a month late 30 = 124: the first step's floor (54 + 70).
    top = client_of(tree, advisor, Tier.ULTRA_HIGH_NET_WORTH, "200000000")
    alert(top, advisor, severity="critical", late=45)
    # Below it: a client whose points (53) leave it out of the first step, at most 123.
    near = client_of(tree, advisor, Tier.ULTRA_HIGH_NET_WORTH, "90000000")  # band 7: 30 + 21 = 51
    alert(near, advisor, severity="critical", late=30)
    for n in range(5):
        alert(client_of(tree, advisor, Tier.MASS, "50000"), advisor, severity="critical", late=40 + n)
    alerts = Alert.objects.filter(open_now())
    plain, many = both(alerts, 1)
    assert plain == many == [top.pk]
    assert _queries(ranking.ClientsOfMany.of(alerts, 1, TODAY).client_ids) == 1  # the first step answered
    plain, many = both(alerts, 2)
    assert plain == many == [top.pk, near.pk]


def test_a_scope_without_rich_clients_falls_back_to_every_alert(tree, advisor):
    clients = [client_of(tree, advisor, Tier.MASS, f"{1000 * (n + 1)}") for n in range(6)]
    for n, client in enumerate(clients):
        alert(client, advisor, severity=SEVERITIES[n % 3], late=n * 7)
    alerts = Alert.objects.filter(open_now())
    # three steps fell short (no client has 28 points), then the whole scope's aggregate
    assert _queries(ranking.ClientsOfMany.of(alerts, 3, TODAY).client_ids) == 4
    for limit in (1, 3, 6, 10):
        plain, many = both(alerts, limit)
        assert len(plain) == min(limit, 6) and many == plain


def test_any_book_gets_the_same_clients_as_the_plain_aggregate(tree, advisor):
    rng = random.Random(7)
    tiers = [
        (Tier.ULTRA_HIGH_NET_WORTH, ("20000000", "90000000", "300000000", "2000000000")),
        (Tier.HIGH_NET_WORTH, ("2000000", "9000000", "30000000")),
        (Tier.AFFLUENT, ("200000", "900000", "5000000")),
        (Tier.MASS, ("900", "50000", "400000")),
    ]
    for _ in range(80):
        tier, assets = rng.choice(tiers)
        client = client_of(tree, advisor, tier, rng.choice(assets))
        for _ in range(rng.randint(1, 3)):
            alert(client, advisor, severity=rng.choice(SEVERITIES), late=rng.randint(-5, 60), kind=rng.choice(KINDS))
    alerts = Alert.objects.filter(open_now())
    for limit in (1, 2, 5, 12, 40, 100):
        for kind in ("", *KINDS):
            scoped = alerts.filter(kind=kind) if kind else alerts
            plain, many = both(scoped, limit)
            assert many == plain, (limit, kind)


def test_the_dashboard_of_a_firm_with_many_alerts_ranks_as_a_small_one(tree, advisor, monkeypatch):
    for n in range(15):
        client = client_of(tree, advisor, (Tier.ULTRA_HIGH_NET_WORTH, Tier.MASS)[n % 2], f"{10**n + 5}")
        alert(client, advisor, severity=SEVERITIES[n % 3], late=n * 4)
    user = get_user_model().objects.get(pk=advisor.user_id)
    small = [row.client.pk for row in dashboard.dashboard(user, today=TODAY)["today_rows"]]
    monkeypatch.setattr(dashboard, "MANY_ALERTS", 1)
    many = [row.client.pk for row in dashboard.dashboard(user, today=TODAY)["today_rows"]]
    assert len(small) == dashboard.TODAY_ROWS and many == small


def test_a_step_reads_the_open_alerts_of_high_point_clients_from_the_points_index(tree, advisor):
    """A step's alerts are a range of ``alert_open_client_points``: PostgreSQL matches the
    query's expression to the index's (both ``ranking.client_points``), without the clients."""
    for n in range(6):
        alert(client_of(tree, advisor, Tier.ULTRA_HIGH_NET_WORTH, f"{10 ** (n + 3)}"), advisor, severity="warning")
    # A book's many low-point alerts (mass clients: 0–24 points), so that the range is the
    # cheapest way to the few, whatever the planner's statistics held before.
    mass = client_of(tree, advisor, Tier.MASS, "50000")
    template = alert(mass, advisor)
    Alert.objects.bulk_create(
        [
            Alert(
                **{**model_to_dict(template, exclude=["id", "client", "advisor", "branch"]), "dedupe_key": f"mass:{n}"},
                client=mass,
                advisor=advisor,
                branch_id=template.branch_id,
            )
            for n in range(400)
        ]
    )
    # Unordered, as a step reads them (``_best_clients``): the alerts' default order would make
    # the planner prefer the due-day index when statistics say the table is near empty.
    step = ranking.client_points_at_least(Alert.objects.filter(open_now()), 41).order_by().values("client_id")
    sql, params = step.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE advisors_alert")  # the statistics of these rows, whatever ran before
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: a scan would be cheaper
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "alert_open_client_points" in plan and "clients_client" not in plan, plan
    chosen = {client_id for (client_id,) in step.values_list("client_id")}
    # UHNW 30 + 3 per band: ¥1,000 is band 3 (39 points), ¥1万 band 4 (42) and above
    expected = set(
        Alert.objects.filter(
            open_now(), client__tier=Tier.ULTRA_HIGH_NET_WORTH, client__assets_band__gte=4
        ).values_list("client_id", flat=True)
    )
    assert chosen == expected and len(expected) == 5
