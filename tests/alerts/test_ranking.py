"""The order of the day (``alerts.ranking``): one score, the same order on the dashboard, the
alerts page and ``GET /api/v1/alerts/?mine=1``; one row per client with the client's alerts
folded in; overdue marked; the kinds as filters; the risk profile's words follow the day."""

from __future__ import annotations

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from alerts import ranking
from alerts.models import Alert, open_now
from core.choices import Tier
from tests import factories
from tests.personas import serve, staff
from workbench import dashboard

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
KEYS = itertools.count()


def alert(client, advisor, kind=Alert.Kind.BIRTHDAY, *, severity="info", late=0, **fields):
    return factories.AlertFactory(
        client=client,
        advisor=advisor,
        kind=kind,
        severity=severity,
        due_on=TODAY - datetime.timedelta(days=late),
        dedupe_key=f"{kind}:{client.pk}:{next(KEYS)}",
        **fields,
    )


@pytest.fixture
def day(tree):
    """An advisor's book: an ultra-rich client with one quiet alert, a mass client with a
    critical one 40 days late, an HNW client with five drifted holdings, a small client with a
    birthday — and a colleague's client, not theirs."""
    advisor = staff("ding", tree["t1"], ["advisor"])
    colleague = staff("ma", tree["t1"], ["advisor"])
    clients = {
        "uhnw": factories.ClientFactory(
            branch=tree["b1"], name="Ultra", tier=Tier.ULTRA_HIGH_NET_WORTH, total_assets=Decimal("80000000")
        ),
        "late": factories.ClientFactory(branch=tree["b1"], name="Late", tier=Tier.MASS, total_assets=Decimal("50000")),
        "drift": factories.ClientFactory(
            branch=tree["b1"], name="Drift", tier=Tier.HIGH_NET_WORTH, total_assets=Decimal("3000000")
        ),
        "small": factories.ClientFactory(branch=tree["b1"], name="Small", tier=Tier.MASS, total_assets=Decimal("900")),
        "theirs": factories.ClientFactory(branch=tree["b1"], name="Theirs", tier=Tier.MASS),
    }
    for name, client in clients.items():
        serve(client, colleague if name == "theirs" else advisor)
    alerts = {
        "uhnw": alert(clients["uhnw"], advisor),
        "late": alert(clients["late"], advisor, Alert.Kind.RISK_PROFILE_EXPIRING, severity="critical", late=40),
        "drift": [
            alert(clients["drift"], advisor, Alert.Kind.SUITABILITY_DRIFT, severity="warning", late=n) for n in range(5)
        ],
        "small": alert(clients["small"], advisor),
        "theirs": alert(clients["theirs"], colleague, severity="critical", late=90),
    }
    return advisor, colleague, clients, alerts


def user_of(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def opened(client, row) -> list[int]:
    """The alerts a row of the today list shows once opened: those the fold fetches, in order."""
    if row.count == 1:
        return [row.lead.pk]
    fragment = client.get(reverse("alerts") + f"?rows=1&client={row.client.pk}", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    return [int(pk) for pk in re.findall(r'<li class="list-group-item" id="alert-(\d+)"', fragment.content.decode())]


def test_the_score_adds_severity_tier_assets_and_days_overdue_capped_at_a_month(day):
    _advisor, _colleague, clients, alerts = day
    scored = {a.pk: a for a in ranking.with_score(Alert.objects.all(), TODAY)}
    # UHNW 30 + ¥8,000万 (band 7) 21 + info 0 + not due 0.
    assert scored[alerts["uhnw"].pk].score == 30 + 21
    # Mass 0 + ¥5万 (band 4) 12 + critical 40 + 40 days late, capped at 30.
    late = scored[alerts["late"].pk]
    assert (late.score, late.overdue_days) == (12 + 40 + 30, 40)
    # HNW 20 + ¥300万 (band 6) 18 + warning 20 + 4 days late.
    assert scored[alerts["drift"][4].pk].score == 20 + 18 + 20 + 4
    assert scored[alerts["small"].pk].score == 2 * 3  # ¥900: band 2


def test_the_dashboard_ranks_clients_folds_their_alerts_and_filters_by_kind(day):
    advisor, _colleague, clients, alerts = day
    figures = dashboard.dashboard(user_of(advisor), today=TODAY)

    rows = figures["today_rows"]
    assert [row.client.pk for row in rows] == [clients[n].pk for n in ("late", "drift", "uhnw", "small")]
    drift = rows[1]
    assert (drift.count, drift.more, drift.overdue_days) == (5, 4, 4)
    assert drift.lead.pk == alerts["drift"][-1].pk  # the latest is the best: most overdue
    assert rows[0].overdue_days == 40
    # Counts stay the one definition of open, and the kinds are filters with counts.
    assert figures["alert_count"] == Alert.objects.filter(open_now(), advisor=advisor).count() == 8
    assert [(k["kind"], k["count"]) for k in figures["kinds"]] == [
        ("suitability_drift", 5),
        ("birthday", 2),
        ("risk_profile_expiring", 1),
    ]
    only = dashboard.dashboard(user_of(advisor), kind="birthday", today=TODAY)["today_rows"]
    assert [row.client.pk for row in only] == [clients["uhnw"].pk, clients["small"].pk]
    assert dashboard.dashboard(user_of(advisor), kind="nonsense", today=TODAY)["kind"] == ""


def test_an_opened_row_fetches_the_clients_alerts_best_first_and_nobody_elses(day, client):
    advisor, colleague, clients, alerts = day
    client.force_login(user_of(advisor))
    rows = dashboard.ranked_today(dashboard.dashboard_scope(user_of(advisor)).alerts, TODAY)
    drift = next(row for row in rows if row.client.pk == clients["drift"].pk)
    assert opened(client, drift) == [a.pk for a in reversed(alerts["drift"])]
    # Another advisor's client: the same request shows none of that client's alerts.
    fragment = client.get(reverse("alerts") + f"?rows=1&client={clients['theirs'].pk}", HTTP_HX_REQUEST="true")
    assert f'id="alert-{alerts["theirs"].pk}"' not in fragment.content.decode()


def test_a_snooze_that_has_passed_is_ranked_with_the_open_and_a_running_one_is_not(day):
    advisor, _colleague, clients, alerts = day
    Alert.objects.filter(pk=alerts["uhnw"].pk).update(status="snoozed", snoozed_until=TODAY)
    Alert.objects.filter(pk=alerts["small"].pk).update(status="snoozed", snoozed_until=TODAY + datetime.timedelta(1))
    rows = dashboard.dashboard(user_of(advisor), today=TODAY)["today_rows"]
    assert clients["uhnw"].pk in [row.client.pk for row in rows]
    assert clients["small"].pk not in [row.client.pk for row in rows]


def test_the_page_marks_overdue_and_folds_a_clients_alerts_with_their_own_actions(day, client):
    advisor, _colleague, clients, alerts = day
    client.force_login(user_of(advisor))
    with translation.override("en"):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.index(f'data-client="{clients["late"].client_no}"') < page.index(
        f'data-client="{clients["drift"].client_no}"'
    )
    assert "overdue 40 days" in page
    fold = page[page.index('data-testid="today-fold"') :]
    fold = fold[: fold.index("</details>")]
    # Folded: the best alert's words in the summary; the rows are fetched when it is opened.
    assert alerts["drift"][-1].display_title in fold and 'id="alert-' not in fold
    assert f"?rows=1&amp;client={clients['drift'].pk}" in fold
    rest = client.get(
        reverse("alerts") + f"?rows=1&client={clients['drift'].pk}", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    for drifted in alerts["drift"]:
        assert f'id="alert-{drifted.pk}"' in rest
        assert reverse("alert-dismiss", args=[drifted.pk]) in rest
    assert "overdue 4 days" in rest
    assert 'data-kind="suitability_drift"' in page
    filtered = client.get("/?kind=birthday", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert clients["late"].client_no not in filtered and clients["small"].client_no in filtered


def test_the_alerts_page_and_the_api_use_the_dashboards_order(day, client):
    advisor, _colleague, clients, alerts = day
    client.force_login(user_of(advisor))
    rows = dashboard.dashboard(user_of(advisor), today=TODAY)["today_rows"]
    expected = [pk for row in rows for pk in opened(client, row)]

    page = client.get(reverse("alerts")).content.decode()
    shown = [pk for pk in expected if f'id="alert-{pk}"' in page]
    assert shown == expected
    assert sorted(expected, key=lambda pk: page.index(f'id="alert-{pk}"')) == expected

    listed = client.get("/api/v1/alerts/?mine=1&status=open").json()
    assert [row["id"] for row in listed["results"]] == expected
    # Without a status, ``mine=1`` is the same list: a closed alert of mine is not in it.
    Alert.objects.filter(pk=expected[-1]).update(status=Alert.Status.DONE)
    mine = client.get("/api/v1/alerts/?mine=1").json()["results"]
    assert [row["id"] for row in mine] == expected[:-1]
    assert expected[-1] in [row["id"] for row in client.get("/api/v1/alerts/?mine=1&status=done").json()["results"]]
    Alert.objects.filter(pk=expected[-1]).update(status=Alert.Status.OPEN)
    assert listed["results"][0]["score"] == 12 + 40 + 30 and listed["results"][0]["overdue_days"] == 40
    by_due = client.get("/api/v1/alerts/?mine=1&ordering=due_on").json()["results"]
    assert [row["due_on"] for row in by_due] == sorted(row["due_on"] for row in by_due)
    ranked_all = client.get("/api/v1/alerts/?ordering=rank").json()["results"]
    assert [row["id"] for row in ranked_all][: len(expected)] == expected
    one_client = client.get(reverse("alerts") + f"?client={clients['drift'].pk}").content.decode()
    assert f'id="alert-{alerts["uhnw"].pk}"' not in one_client and f'id="alert-{alerts["drift"][0].pk}"' in one_client


def test_the_api_status_open_counts_a_passed_snooze_as_open(day, client):
    advisor, _colleague, _clients, alerts = day
    Alert.objects.filter(pk=alerts["uhnw"].pk).update(status="snoozed", snoozed_until=TODAY)
    client.force_login(user_of(advisor))
    open_ids = {row["id"] for row in client.get("/api/v1/alerts/?mine=1&status=open").json()["results"]}
    snoozed_ids = {row["id"] for row in client.get("/api/v1/alerts/?mine=1&status=snoozed").json()["results"]}
    assert alerts["uhnw"].pk in open_ids and alerts["uhnw"].pk not in snoozed_ids


def test_a_risk_profile_raised_as_expiring_reads_expired_once_its_day_has_passed(day):
    advisor, _colleague, clients, _alerts = day
    past = (TODAY - datetime.timedelta(days=3)).isoformat()
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    kind = Alert.Kind.RISK_PROFILE_EXPIRING
    lapsed = alert(clients["small"], advisor, kind, params={"valid_until": past, "expired": False})
    coming = alert(clients["small"], advisor, kind, params={"valid_until": future, "expired": False})
    with translation.override("en"):
        assert lapsed.display_title.startswith("Risk profile expired on")
        assert "cannot buy" in lapsed.display_reason
        assert coming.display_title.startswith("Risk profile expires on")
        assert str(Alert.Kind.RISK_PROFILE_EXPIRING.label) == "Risk profile expiring or expired"


def test_the_alerts_page_counts_up_to_its_cap_and_still_ranks_past_it(day, client, monkeypatch):
    """Past ``alert_page.COUNT_CAP`` the page says "10,000+" (here "2+") and chooses its clients as
    the firm's dashboard does (``ranking.ClientsOfMany``): the same order."""
    from workbench import alert_page

    advisor, _colleague, _clients, _alerts = day
    client.force_login(user_of(advisor))
    rows = dashboard.dashboard(user_of(advisor), today=TODAY)["today_rows"]
    expected = [pk for row in rows for pk in opened(client, row)]
    monkeypatch.setattr(alert_page, "COUNT_CAP", 2)
    page = client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2+ alerts" in page
    assert sorted(expected, key=lambda pk: page.index(f'id="alert-{pk}"')) == expected
