"""The columns the nightly run rewrites for every client (assets, churn score) carry no index,
so PostgreSQL updates the rows in place (HOT); the sorts by assets and churn walk the coarse
generated keys instead and give the same order as the values themselves."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from clients.filters import order_clients
from clients.models import Client
from tests import factories

pytestmark = pytest.mark.django_db

ASSETS = ["0", "9.99", "10", "999999.99", "1000000", "5000000", "12000000", "950000000", "1000000000", "3"]
SCORES = [None, 0.0, 0.09, 0.1, 0.3, 0.29, 0.6, 0.95, 1.0, None]


@pytest.fixture
def book(tree):
    return [
        factories.ClientFactory(branch=tree["b1"], total_assets=Decimal(assets), churn_score=score)
        for assets, score in zip(ASSETS, SCORES, strict=True)
    ]


def test_the_bands_follow_the_values(book):
    bands = dict(Client.objects.values_list("total_assets", "assets_band"))
    assert bands[Decimal("9.99")] == 0 and bands[Decimal("10")] == 1 and bands[Decimal("999999.99")] == 5
    assert bands[Decimal("1000000")] == 6 and bands[Decimal("1000000000")] == 9
    deciles = dict(Client.objects.values_list("churn_score", "churn_decile"))
    assert deciles == {None: -1, 0.0: 0, 0.09: 0, 0.1: 1, 0.29: 2, 0.3: 3, 0.6: 6, 0.95: 9, 1.0: 9}


def test_sorting_by_the_bands_is_sorting_by_the_values(book):
    by_assets = [c.total_assets for c in order_clients(Client.objects.all(), "-assets")]
    assert by_assets == sorted((Decimal(a) for a in ASSETS), reverse=True)
    assert [c.total_assets for c in order_clients(Client.objects.all(), "assets")] == by_assets[::-1]
    by_churn = [c.churn_score for c in order_clients(Client.objects.all(), "-churn")]
    scored = sorted((s for s in SCORES if s is not None), reverse=True)
    assert by_churn == [*scored, None, None]  # the unscored last


def test_the_churn_band_filter_keeps_its_bounds(book, client):
    from clients.filters import ClientFilter

    def band(name):
        return sorted(c.churn_score for c in ClientFilter({"churn_band": name}, queryset=Client.objects.all()).qs)

    assert band("low") == [0.0, 0.09, 0.1, 0.29]
    assert band("medium") == [0.3]
    assert band("high") == [0.6, 0.95, 1.0]


@pytest.mark.django_db(transaction=True)
def test_the_nightly_rewrite_of_assets_and_score_is_done_in_place(tree):
    from django.db import transaction

    from nightly.pipeline import reclaim_client_rows

    book = [
        factories.ClientFactory(branch=tree["b1"], total_assets=Decimal(assets), churn_score=score)
        for assets, score in zip(ASSETS, SCORES, strict=True)
    ]
    # What the night does before rewriting: free the versions earlier writes left (the
    # factories' own saves filled the pages).
    reclaim_client_rows()

    def hot_updates() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated('clients_client'::regclass)")
            return cursor.fetchone()[0]

    rich = book[6]  # 12,000,000 and 0.6: moves within their bands, as on most nights
    with transaction.atomic():
        Client.objects.filter(pk=rich.pk).update(
            total_assets=F("total_assets") + 12345,
            churn_score=0.65,
            assets_as_of="2026-11-20",
            segmented_on="2026-11-20",
        )
        assert hot_updates() == 1
        # Crossing a band changes an indexed key: an ordinary update (still correct, not HOT).
        Client.objects.filter(pk=rich.pk).update(total_assets=Decimal("200000000"))
        assert hot_updates() == 1
    assert Client.objects.get(pk=rich.pk).assets_band == 8


# Pruning depends on every transaction of the server (a backend's view of what still runs is
# server-wide), so this runs alone: `make test` runs it after the parallel workers are done.
@pytest.mark.alone
@pytest.mark.django_db(transaction=True)
def test_the_nights_rewrites_stay_in_place_with_no_vacuum_between_them(tree):
    """Segmentation rewrites the assets, churn the score, the next night both again: each finds
    room on the row's page, pruned of the version the rewrite before left (no VACUUM between
    the steps)."""
    from django.db import transaction

    from nightly.pipeline import reclaim_client_rows

    # Enough clients to fill several half-filled pages (fillfactor 50): a page then has room for
    # about one more version of each of its rows, so every rewrite after the first needs the
    # versions the one before left to be pruned.
    book = [
        factories.ClientFactory(branch=tree["b1"], total_assets=Decimal("12000000"), churn_score=0.6) for _ in range(60)
    ]
    reclaim_client_rows()  # the factories' own saves filled the pages; a night starts from a vacuumed table
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT (ctid::text::point)[0]) FROM clients_client")
        assert cursor.fetchone()[0] >= 3  # several pages, not one with room to spare

    def no_older_transaction() -> None:
        """Pruning a page needs its dead versions to be older than every transaction's snapshot
        — in any database of the server: a backend's view of what is still running is
        server-wide. A long transaction elsewhere (another test process, an ANALYZE) would make
        the rewrite an ordinary update for reasons that are not the table's, so wait until none
        is running (at most 10 s); the next one to start is younger than the versions to prune."""
        with connection.cursor() as cursor:
            for _ in range(100):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                    "AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)"
                )
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.1)

    def rewrite(**values) -> tuple[int, int]:
        """(updates, of which HOT) by one committed rewrite (counters read inside its transaction)."""
        no_older_transaction()
        counters = (
            "SELECT pg_stat_get_xact_tuples_updated('clients_client'::regclass), "
            "pg_stat_get_xact_tuples_hot_updated('clients_client'::regclass)"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(counters)
            before = cursor.fetchone()
            Client.objects.filter(pk__in=[c.pk for c in book]).update(**values)
            cursor.execute(counters)
            after = cursor.fetchone()
        return after[0] - before[0], after[1] - before[1]

    nights = []
    for night in range(3):
        nights.append(rewrite(total_assets=F("total_assets") + 1000, assets_as_of=f"2026-11-2{night}"))
        nights.append(rewrite(churn_score=0.61 + night / 100))
    assert nights == [(60, 60)] * 6


def test_the_admin_sorts_by_assets_through_the_band(book, admin_client):
    url = "/admin/clients/client/"
    columns = admin_client.get(url).context["cl"].list_display
    position = [getattr(column, "__name__", column) for column in columns].index("total_assets")  # a grouped column
    with CaptureQueriesContext(connection) as queries:
        listed = admin_client.get(url, {"o": f"-{position}"}).context["cl"].result_list
    assert [c.total_assets for c in listed] == sorted((Decimal(a) for a in ASSETS), reverse=True)
    banded = 'ORDER BY "clients_client"."assets_band" DESC, "clients_client"."total_assets" DESC'
    assert any(banded in q["sql"] for q in queries.captured_queries)
