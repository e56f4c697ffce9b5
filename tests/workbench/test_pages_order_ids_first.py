"""The alerts page, the client list and the client API take a page's order over ids and then read
only that page's rows (issue 28): pages follow one another in the list's order without gaps or
repeats, the rows shown are the ones in scope, and the alerts' navigation badge still counts
what the top bar counts."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from alerts import ranking
from alerts.models import Alert, open_now
from clients.models import Client
from core.choices import Tier
from tests import factories
from tests.personas import serve, staff
from workbench import alert_page, client_views, dashboard

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
ALERT_ROW = re.compile(r'<li class="list-group-item" id="alert-(\d+)"')
CLIENT_ROW = re.compile(r'href="/clients/(\d+)/"')


@pytest.fixture
def book(tree):
    """An advisor with eight clients of mixed tiers and assets, one to three alerts each (some
    late, one closed), and a colleague's client with an alert the advisor must not see."""
    advisor = staff("li", tree["t1"], ["advisor"])
    colleague = staff("wu", tree["t1"], ["advisor"])
    tiers = [Tier.MASS, Tier.AFFLUENT, Tier.HIGH_NET_WORTH, Tier.ULTRA_HIGH_NET_WORTH]
    clients = []
    for n in range(8):
        client = factories.ClientFactory(
            branch=tree["b1"], tier=tiers[n % 4], total_assets=Decimal(10 ** (n % 5 + 3)), client_no=f"K{7 - n:03d}"
        )
        serve(client, advisor)
        clients.append(client)
        for k in range(n % 3 + 1):
            factories.AlertFactory(
                client=client,
                advisor=advisor,
                kind=Alert.Kind.BIRTHDAY,
                severity=("info", "warning", "critical")[(n + k) % 3],
                due_on=TODAY - datetime.timedelta(days=5 * k + n),
                dedupe_key=f"ids-first:{client.pk}:{k}",
            )
    closed = Alert.objects.filter(client=clients[0]).first()
    closed.status, closed.closed_at = Alert.Status.DONE, timezone.now()
    closed.save()
    theirs = factories.ClientFactory(branch=tree["b1"])
    serve(theirs, colleague)
    factories.AlertFactory(
        client=theirs, advisor=colleague, kind=Alert.Kind.BIRTHDAY, due_on=TODAY, dedupe_key="ids-first:theirs"
    )
    user = get_user_model().objects.get(pk=advisor.user_id)
    return user, advisor, clients, theirs


def _all_pages(http, url, pattern, per_page):
    shown, number = [], 1
    while True:
        response = http.get(url + ("&" if "?" in url else "?") + f"page={number}")
        rows = [int(pk) for pk in pattern.findall(response.content.decode())]
        assert len(rows) <= per_page
        shown += rows
        if not response.context["page"].has_next():
            return shown, response
        number += 1


@pytest.mark.parametrize("many", [False, True], ids=["a book", "a firm's many alerts"])
def test_the_alerts_pages_follow_the_ranking_one_after_another(book, client, monkeypatch, many):
    user, advisor, _clients, _theirs = book
    monkeypatch.setattr(alert_page, "PAGE_SIZE", 4)
    if many:  # the clients of a page chosen as for a firm's alerts (ranking.ClientsOfMany)
        monkeypatch.setattr(dashboard, "MANY_ALERTS", 1)
    client.force_login(user)
    expected = list(ranking.ranked(Alert.objects.filter(open_now(), advisor=advisor)).values_list("pk", flat=True))
    assert len(expected) > 8  # three pages at least
    shown, _html = _all_pages(client, reverse("alerts"), ALERT_ROW, 4)
    assert shown == expected


def test_the_open_alerts_page_counts_for_the_badge_what_the_top_bar_counts(book, client):
    user, advisor, _clients, _theirs = book
    client.force_login(user)
    response = client.get(reverse("alerts"))
    count = Alert.objects.filter(open_now(), advisor=advisor).count()
    assert response.context["open_alert_count"] == count == response.context["page"].paginator.count
    # Filtered by kind, the page counts fewer than the badge: the badge keeps its own count.
    Alert.objects.filter(pk=Alert.objects.filter(open_now(), advisor=advisor).first().pk).update(
        kind=Alert.Kind.DORMANT
    )
    filtered = client.get(reverse("alerts"), {"kind": Alert.Kind.BIRTHDAY})
    assert filtered.context["page"].paginator.count == count - 1
    assert int(str(filtered.context["open_alert_count"])) == count


def test_the_closed_alerts_page_shows_the_most_recently_closed_first_with_its_rows_whole(book, client):
    user, _advisor, clients, _theirs = book
    client.force_login(user)
    html = client.get(reverse("alerts"), {"status": "done"}).content.decode()
    closed = Alert.objects.get(client=clients[0], status=Alert.Status.DONE)
    assert [int(pk) for pk in ALERT_ROW.findall(html)] == [closed.pk]
    assert clients[0].name in html and clients[0].client_no in html


def test_the_client_list_pages_follow_the_sort_and_stay_in_scope(book, client, monkeypatch):
    user, _advisor, clients, theirs = book
    monkeypatch.setattr(client_views, "PAGE_SIZE", 3)
    client.force_login(user)
    for sort, key in (("client_no", lambda c: c.client_no), ("-assets", lambda c: (-c.total_assets, c.client_no))):
        shown, html = _all_pages(client, reverse("clients:list") + f"?sort={sort}", CLIENT_ROW, 3)
        assert shown == [c.pk for c in sorted(clients, key=key)], sort
        assert theirs.pk not in shown
    # The masked phone is shown; the rows were read without the other encrypted fields.
    page = client.get(reverse("clients:list"))
    first = page.context["page"].object_list[0]
    assert first.get_deferred_fields() >= {"id_number", "email", "address"}
    assert first.masked_phone in page.content.decode()


def test_the_client_api_pages_follow_the_sort_with_every_field(book, client):
    user, _advisor, clients, theirs = book
    client.force_login(user)
    ids, url = [], "/api/v1/clients/?sort=-client_no&page_size=3"
    while url:
        body = client.get(url).json()
        assert body["count"] == len(clients)
        ids += [row["id"] for row in body["results"]]
        assert all(row["phone"] and "*" in row["phone"] for row in body["results"])
        url = body["next"]
    assert ids == [c.pk for c in sorted(clients, key=lambda c: c.client_no, reverse=True)]
    assert theirs.pk not in ids
    searched = client.post("/api/v1/clients/search/", {"q": clients[3].phone}, content_type="application/json").json()
    assert [row["id"] for row in searched["results"]] == [clients[3].pk]
    assert Client.objects.filter(pk=clients[3].pk).exists()
