"""Prepared statements (core/prepared.py): a SELECT a connection runs again is prepared once and
executed by name, with the same rows; what cannot be prepared runs as it is, and never breaks a
transaction; what is being recorded is left alone."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from core import prepared
from core.access import client_scope
from tests import personas

pytestmark = pytest.mark.django_db


def _prepared_statements() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _fresh():
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection._crm_statements = prepared._Statements()


def test_a_select_run_again_is_prepared_and_answers_the_same_rows(world):
    cast, clients = world
    _fresh()
    user = cast.team_lead.user
    scoped = Client.objects.filter(client_scope(user)).order_by("pk").values_list("client_no", "tier")
    first = list(scoped.all())  # seen once: run as it is
    assert not _prepared_statements()
    second = list(scoped.all())  # seen again: prepared, then executed by name
    third = list(scoped.all())
    statements = _prepared_statements()
    assert len(statements) == 1 and "clients_client" in next(iter(statements.values()))
    assert first == second == third
    assert {no for no, _tier in first} == {clients[name].client_no for name in personas.VIEW["team_lead"]}


def test_the_same_sql_with_other_parameter_types_is_another_statement():
    _fresh()
    with connection.cursor() as cursor:
        for value in (7, 7, "7", "7"):
            cursor.execute("SELECT %s::text AS value", [value])
            assert cursor.fetchone() == ("7",)
    types = sorted(statement.split(" AS ")[0] for statement in _prepared_statements().values())
    assert len(types) == 2 and "integer" in types[0] + types[1] and "unknown" in types[0] + types[1]


def test_a_select_without_parameters_is_prepared_and_its_percent_signs_kept(world):
    """A firm-wide list's query has no parameters (Django sends an empty list): prepared all the
    same, its ``%%`` read as ``%`` as psycopg2 reads it; SQL sent with no list at all is its own
    (``%`` as written) and left alone."""
    _fresh()
    ordered = Client.objects.order_by("client_no").values_list("client_no", flat=True)
    answers = [list(ordered.all()) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2] == sorted(client.client_no for client in world[1].values())
    statements = list(_prepared_statements().values())
    assert len(statements) == 1 and "clients_client" in statements[0], statements
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT '100%%' AS share, '5%' AS other")  # no list: sent as written
            assert cursor.fetchone() == ("100%%", "5%")
            cursor.execute("SELECT '100%%' AS share", [])  # an empty list: psycopg2 reads %% as %
            assert cursor.fetchone() == ("100%",)
    texts = list(_prepared_statements().values())
    assert len(texts) == 2 and not any("'5%'" in text for text in texts)
    assert any("'100%' AS share" in text for text in texts)


def test_what_cannot_be_prepared_runs_as_it_is_and_the_transaction_goes_on():
    _fresh()
    # As a literal, NULL IS NULL; as a parameter of unknown type, PostgreSQL cannot prepare it.
    sql = "SELECT %s IS NULL AS missing"
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(sql, [None])
            assert cursor.fetchone() == (True,)
        cursor.execute("SELECT 1")  # the transaction is not aborted
        assert cursor.fetchone() == (1,)
    assert sql in prepared._unpreparable
    assert not any("IS NULL" in statement for statement in _prepared_statements().values())


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_too():
    _fresh()
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT %s::date + 1 AS next_day", [datetime.date(2026, 12, 31)])
            assert cursor.fetchone() == (datetime.date(2027, 1, 1),)
    assert len(_prepared_statements()) == 1


def test_recorded_queries_keep_their_sql(world):
    _cast, clients = world
    _fresh()
    rows = Client.objects.filter(pk=clients["mine"].pk).values_list("client_no", flat=True)
    with CaptureQueriesContext(connection) as queries:
        assert list(rows.all()) == list(rows.all()) == list(rows.all()) == [clients["mine"].client_no]
    assert len(queries) == 3
    assert all("EXECUTE" not in query["sql"] and "clients_client" in query["sql"] for query in queries)
    assert not _prepared_statements()


def test_a_server_side_cursor_is_left_alone(world):
    _cast, clients = world
    _fresh()
    rows = Client.objects.order_by("pk").values_list("pk", flat=True)
    assert list(rows.all()) == list(rows.all())  # prepared
    with transaction.atomic():
        assert list(rows.iterator(chunk_size=2)) == sorted(client.pk for client in clients.values())


def test_each_connection_keeps_at_most_kept_statements(monkeypatch):
    _fresh()
    monkeypatch.setattr(prepared, "KEPT", 3)
    with connection.cursor() as cursor:
        for n in range(6):
            for _ in range(2):
                cursor.execute(f"SELECT %s + {n} AS total", [1])
                assert cursor.fetchone() == (1 + n,)
    statements = _prepared_statements()
    assert len(statements) == 3  # the least recently used were deallocated
    assert {statement.rsplit("+ ", 1)[1].split(" ")[0] for statement in statements.values()} == {"3", "4", "5"}


def test_each_integer_is_typed_as_its_literal_would_be():
    _fresh()
    with connection.cursor() as cursor:
        for value in (7, 2**40, 10**30):  # integer, bigint, numeric: no row has such an id
            for _ in range(2):
                cursor.execute("SELECT count(*) FROM clients_client WHERE id = %s", [value])
                assert cursor.fetchone() == (0,)
    assert len(_prepared_statements()) == 3


def test_a_list_of_ids_is_an_array_of_bigints_prepared_once_for_any_length():
    """``core.compiled.Slot``'s ids (the chosen clients of ``alerts.ranking.ClientsOfMany``)."""
    _fresh()
    sql = "SELECT id FROM unnest(%s::bigint[]) AS chosen(id) ORDER BY id"
    with connection.cursor() as cursor:
        for ids in ([3, 1, 2], [5], [], [2**40, 7], [4, 4]):
            cursor.execute(sql, [ids])
            assert [id_ for (id_,) in cursor.fetchall()] == sorted(ids)
    statements = list(_prepared_statements().values())
    assert len(statements) == 1 and "bigint[]" in statements[0]
    assert prepared._pg_type(["a", "b"]) == "unknown" and prepared._pg_type([True]) == "unknown"
