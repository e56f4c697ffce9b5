"""The whole book's count is the one the database keeps (``clients.book_count``, ``clients``
migration 0021): equal to PostgreSQL's COUNT after clients are written every way — the ORM, in
bulk, by raw SQL and COPY as imports do, deleted one by one, in bulk and by SQL, truncated —
and a whole-book list page shows a new client's count on the next request."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from tests import factories

pytestmark = pytest.mark.django_db


def _counted() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clients_client")
        return cursor.fetchone()[0]


def _kept_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clients_count")
        return cursor.fetchone()[0]


def _assert_kept():
    with CaptureQueriesContext(connection) as queries:
        kept = Client.objects.count()
    assert [q["sql"] for q in queries] == ["SELECT sum(n) FROM clients_count"]
    assert kept == _counted()


@pytest.fixture
def branch(tree):
    return tree["b1"]


def test_the_kept_count_follows_every_way_of_writing_clients(branch):
    _assert_kept()
    first = factories.ClientFactory(branch=branch)
    _assert_kept()
    Client.objects.bulk_create([factories.ClientFactory.build(branch=branch) for _ in range(7)])
    _assert_kept()
    # an import's SQL: several rows in one INSERT, and COPY — copies of the first client
    columns = [
        f.column for f in Client._meta.concrete_fields if f.column not in ("id", "client_no") and not f.generated
    ]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO clients_client (client_no, {listed}) SELECT 'SQL' || g, {listed}"
            " FROM clients_client, generate_series(1, 5) g WHERE id = %s",
            [first.pk],
        )
        row = io.StringIO()
        cursor.cursor.copy_expert(f"COPY (SELECT {listed} FROM clients_client WHERE id = {first.pk}) TO STDOUT", row)
        rows = "".join(f"COPY{n}\t{row.getvalue()}" for n in range(4))
        cursor.cursor.copy_expert(f"COPY clients_client (client_no, {listed}) FROM STDIN", io.StringIO(rows))
    assert Client.objects.filter(client_no__startswith="COPY").count() == 4
    _assert_kept()
    first.delete()
    _assert_kept()
    Client.objects.filter(client_no__startswith="SQL").delete()
    _assert_kept()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clients_client WHERE client_no LIKE 'COPY%%'")
    _assert_kept()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check may be pending at a TRUNCATE
        cursor.execute("TRUNCATE clients_client CASCADE")
    _assert_kept()
    assert Client.objects.count() == 0
    factories.ClientFactory(branch=branch)
    _assert_kept()


def test_many_single_writes_are_folded_into_one_row(branch):
    for _ in range(300):
        factories.ClientFactory(branch=branch)
    assert _kept_rows() <= 257
    _assert_kept()


def test_a_count_with_a_condition_is_counted(branch):
    factories.ClientFactory(branch=branch, tier="mass")
    factories.ClientFactory(branch=branch, tier="affluent")
    for queryset in (
        Client.objects.filter(tier="mass"),
        Client.objects.exclude(tier="mass"),
        Client.objects.values("tier").distinct(),
        Client.objects.all()[:1],
        Client.objects.none(),
    ):
        with CaptureQueriesContext(connection) as queries:
            n = queryset.count()
        assert "clients_count" not in " ".join(q["sql"] for q in queries)
        assert n == len(list(queryset))


def test_a_whole_book_list_shows_a_new_client_on_the_next_request(client, world):
    cast, clients = world
    client.force_login(cast.compliance.user)
    before = client.get("/api/v1/clients/").json()["count"]
    assert before == _counted()
    factories.ClientFactory(branch=clients["mine"].branch)
    assert client.get("/api/v1/clients/").json()["count"] == before + 1
