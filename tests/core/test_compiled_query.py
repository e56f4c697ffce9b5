"""A query compiled once and run with each call's values (``core.compiled.CompiledQuery``) gives
the rows the queryset itself gives, for every client and day, and sees every change."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Account, AssetSnapshot, ClientShare, Interaction
from core.compiled import CompiledQuery
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def clients():
    """Clients of a branch: ``clients()`` makes the next one."""
    branch = factories.org_unit("SH01", "branch")

    def make():
        return factories.ClientFactory(branch=branch)

    make.branch = branch
    return make


class Counted:
    """A ``build`` that counts how often it is called."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, **values):
        self.calls += 1
        return self.build(**values)


def accounts(client):
    return Account.objects.filter(client_id=client).select_related("client").order_by("account_no")


def test_every_client_gets_the_rows_of_its_own_queryset_and_the_sql_is_built_once(clients):
    first, second = clients(), clients()
    for client, n in ((first, 2), (second, 3)):
        factories.AccountFactory.create_batch(n, client=client)
    build = Counted(accounts)
    query = CompiledQuery(build)
    for client in (first, second, first):
        rows = query.rows(client=client.pk)
        assert rows == list(accounts(client.pk))
        # select_related came with the rows: reading the client runs no query
        with CaptureQueriesContext(connection) as queries:
            assert {row.client.name for row in rows} == {client.name}
        assert len(queries) == 0
    assert build.calls == 1
    assert query.rows(client=-1) == []


def test_the_rows_are_read_when_it_runs_so_a_change_is_seen_on_the_next_call(clients):
    client = clients()
    query = CompiledQuery(accounts)
    assert query.rows(client=client.pk) == []
    added = factories.AccountFactory(client=client)
    assert query.rows(client=client.pk) == [added]
    added.delete()
    assert query.rows(client=client.pk) == []


def test_a_day_is_a_value_of_its_own_and_values_list_and_prefetches_work(clients):
    client, colleague = clients(), factories.UserFactory()
    share = ClientShare.objects.create(client=client, shared_with=colleague, granted_by=colleague, expires_on=DAY)
    shares = CompiledQuery(
        lambda client, today: ClientShare.objects.filter(client_id=client, expires_on__gte=today).order_by("pk")
    )
    assert shares.rows(client=client.pk, today=DAY) == [share]
    assert shares.rows(client=client.pk, today=DAY + datetime.timedelta(days=1)) == []  # expired the day after

    for day, total in ((DAY, 100), (DAY - datetime.timedelta(days=1), 90)):
        AssetSnapshot.objects.create(client=client, as_of=day, total_assets=total, cash=0, securities=0)
    chart = CompiledQuery(
        lambda client, since: (
            AssetSnapshot.objects.filter(client_id=client, as_of__gte=since)
            .order_by("as_of")
            .values_list("as_of", "total_assets")
        )
    )
    assert [total for _day, total in chart.rows(client=client.pk, since=DAY - datetime.timedelta(days=1))] == [90, 100]
    assert [total for _day, total in chart.rows(client=client.pk, since=DAY)] == [100]

    product = factories.ProductFactory()
    interaction = Interaction.objects.create(
        client=client,
        advisor=factories.AdvisorFactory(org_unit=clients.branch),
        channel="phone",
        summary="called",
        occurred_at=DAY_AT(),
    )
    interaction.products_discussed.add(product)
    talks = CompiledQuery(
        lambda client: Interaction.objects.filter(client_id=client).prefetch_related("products_discussed")
    )
    [row] = talks.rows(client=client.pk)
    with CaptureQueriesContext(connection) as queries:
        assert list(row.products_discussed.all()) == [product]
    assert len(queries) == 0


def DAY_AT():  # noqa: N802 (a moment on DAY)
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(10)))


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_it_on_its_own_connection(clients):
    client = clients()
    made = factories.AccountFactory(client=client)
    query = CompiledQuery(accounts)
    assert query.rows(client=client.pk) == [made]  # compiled on this thread
    seen, used = [], []

    def other_thread():
        from django.db import connection as theirs

        try:
            with CaptureQueriesContext(theirs) as queries:
                seen.append(query.rows(client=client.pk))
            used.append(len(queries))
        finally:
            theirs.close()

    reader = threading.Thread(target=other_thread)
    reader.start()
    reader.join()
    assert seen == [[made]] and used == [1]


def test_a_value_the_sql_does_not_hold_or_that_is_not_an_id_or_a_day_is_refused(clients):
    client = clients()
    ignoring = CompiledQuery(lambda client: Account.objects.order_by("pk"))
    with pytest.raises(ImproperlyConfigured, match="no parameter for"):
        ignoring.rows(client=client.pk)
    for value in (True, None, "C0001"):
        with pytest.raises(ImproperlyConfigured, match="ids or days"):
            CompiledQuery(accounts).rows(client=value)
