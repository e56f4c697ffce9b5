"""An alert carries its client's rank keys (tier, assets band), kept by the database
(``alerts`` migration 0008): set on every insert whatever writes it, never what the application
writes, rewritten when the client's tier or assets band changes — and left alone when the
client's assets change within their band. The ranked list scores alerts from the copies, so a
client whose assets cross a band is ranked by the new band on the next request (issue 28,
point 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alerts import ranking
from alerts.models import Alert
from clients.models import Client
from core.choices import Tier
from tests import factories
from tests.personas import serve, staff

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _keys(alert) -> tuple[str, int | None]:
    return Alert.objects.filter(pk=alert.pk).values_list("client_tier", "client_assets_band").get()


def _row_version(alert) -> str:
    """The row's ``xmin``: it changes whenever anything writes the row."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM advisors_alert WHERE id = %s", [alert.pk])
        return cursor.fetchone()[0]


def _mismatched() -> list[int]:
    rows = Alert.objects.values_list("pk", "client_tier", "client_assets_band", "client__tier", "client__assets_band")
    return [pk for pk, tier, band, client_tier, client_band in rows if (tier, band) != (client_tier, client_band)]


def test_an_alert_carries_its_clients_tier_and_assets_band_whatever_writes_it(tree):
    advisor = staff("ding", tree["t1"], ["advisor"])
    rich = factories.ClientFactory(branch=tree["b1"], tier=Tier.HIGH_NET_WORTH, total_assets=Decimal("3500000"))
    small = factories.ClientFactory(branch=tree["b1"], tier=Tier.MASS, total_assets=Decimal("900"))
    made = factories.AlertFactory(client=rich, advisor=advisor)  # the ORM's insert
    [bulk] = Alert.objects.bulk_create(
        [Alert(client=small, advisor=advisor, kind="birthday", title="t", due_on=TODAY, dedupe_key="bulk:1")]
    )
    assert _keys(made) == (Tier.HIGH_NET_WORTH, 6)
    assert _keys(bulk) == (Tier.MASS, 2)
    # What the application writes into the copies is replaced by the client's.
    Alert.objects.filter(pk=made.pk).update(client_tier=Tier.MASS, client_assets_band=0)
    assert _keys(made) == (Tier.HIGH_NET_WORTH, 6)
    # Its client changes: the copies follow.
    Alert.objects.filter(pk=bulk.pk).update(client=rich)
    assert _keys(bulk) == (Tier.HIGH_NET_WORTH, 6)
    Alert.objects.filter(pk=bulk.pk).update(client=small)

    # The client's tier changes, saved or updated in bulk: the copies follow.
    rich.tier = Tier.ULTRA_HIGH_NET_WORTH
    rich.save()
    assert _keys(made) == (Tier.ULTRA_HIGH_NET_WORTH, 6)
    Client.objects.filter(pk=rich.pk).update(tier=Tier.AFFLUENT)
    assert _keys(made) == (Tier.AFFLUENT, 6)
    # Its assets cross a power of ten (the band is generated from them): the copy follows.
    Client.objects.filter(pk=rich.pk).update(total_assets=Decimal("12000000"))
    assert _keys(made) == (Tier.AFFLUENT, 7)
    # Assets that move within their band write nothing to the alerts (the nightly's update of
    # every client's assets rewrites only the alerts of clients whose band changed).
    before = _row_version(made)
    Client.objects.filter(pk=rich.pk).update(total_assets=Decimal("13500000.55"))
    Client.objects.filter(pk__in=[rich.pk, small.pk]).update(name="Renamed")
    assert _row_version(made) == before
    assert _keys(made) == (Tier.AFFLUENT, 7)
    assert _mismatched() == []


def test_every_alert_of_the_world_carries_its_clients_rank_keys(world):
    assert Alert.objects.exists()
    assert _mismatched() == []


def test_the_ranked_list_reads_no_client_and_follows_a_band_change_on_the_next_request(tree, client):
    advisor = staff("ding", tree["t1"], ["advisor"])
    first = factories.ClientFactory(
        branch=tree["b1"], name="First", tier=Tier.AFFLUENT, total_assets=Decimal("600000")
    )  # 10 + 3 × 5 = 25 points
    second = factories.ClientFactory(
        branch=tree["b1"], name="Second", tier=Tier.AFFLUENT, total_assets=Decimal("400000")
    )  # 25 points too: the tie goes to the lower id
    for n, holder in enumerate((first, second)):
        serve(holder, advisor)
        factories.AlertFactory(client=holder, advisor=advisor, kind="birthday", due_on=TODAY, dedupe_key=f"k:{n}")

    sql = str(ranking.ranked(Alert.objects.all(), TODAY).query)
    assert "clients_client" not in sql  # scored from the alert's own row

    def order() -> list[str]:
        page = client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en").text
        return sorted(("First", "Second"), key=page.index)

    client.force_login(get_user_model().objects.get(pk=advisor.user_id))
    assert order() == ["First", "Second"]
    # The second client's assets reach ¥1,000,000: one band up, three points more.
    Client.objects.filter(pk=second.pk).update(total_assets=Decimal("1000000"))
    assert order() == ["Second", "First"]
    # And down again below the first's.
    Client.objects.filter(pk=second.pk).update(total_assets=Decimal("99999.99"))
    assert order() == ["First", "Second"]
    # A tier that moves up ranks it first again (20 for HNW against 10).
    Client.objects.filter(pk=second.pk).update(tier=Tier.HIGH_NET_WORTH)
    assert order() == ["Second", "First"]
