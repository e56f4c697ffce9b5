"""The daily fact tables (positions, cash balances, asset snapshots) are partitioned by month on
PostgreSQL, and the nightly run and the import make the months they write (``clients.partitions``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from clients.models import AssetSnapshot, CashBalance, Position
from clients.partitions import (
    TABLES,
    default_partition,
    ensure_months,
    holding,
    months_between,
    next_month,
    partitions,
)
from imports.service import Outcome, import_folder
from nightly import pipeline
from tests.factories import AccountFactory, ClientFactory, ProductFactory, org_tree
from tests.imports.test_import_extract import write_folder
from tests.nightly.test_trading_import import TRADING, frozen_today, masters  # noqa: F401 (fixtures)


def held_in(model, pk) -> str:
    """The partition that holds a row."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def an_account_and_a_product():
    return AccountFactory(client=ClientFactory(branch=org_tree()["b1"])), ProductFactory()


def position(account, product, day: datetime.date) -> Position:
    return Position.objects.create(
        account=account, client=account.client, product=product, as_of=day, quantity=1, market_value=2, cost=1
    )


def test_months_run_from_the_first_day_to_the_first_of_the_next():
    assert next_month(datetime.date(2026, 12, 31)) == datetime.date(2027, 1, 1)
    assert next_month(datetime.date(2027, 2, 1)) == datetime.date(2027, 3, 1)
    assert months_between(datetime.date(2026, 11, 30), datetime.date(2027, 2, 1)) == [
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
        datetime.date(2027, 2, 1),
    ]


@pytest.mark.django_db
def test_each_daily_table_is_partitioned_by_month_with_a_default_partition():
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                "SELECT p.partstrat, a.attname FROM pg_partitioned_table p "
                "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                "WHERE p.partrelid = %s::regclass",
                [table],
            )
            assert cursor.fetchone() == ("r", "as_of"), table
            assert default_partition(table) in partitions(table)


@pytest.mark.django_db
def test_a_row_of_a_month_without_a_partition_waits_in_the_default_and_moves_when_the_month_is_made():
    account, product = an_account_and_a_product()
    early = position(account, product, datetime.date(2031, 5, 6))
    assert held_in(Position, early.pk) == "clients_position_default"

    created = ensure_months([datetime.date(2031, 5, 17)])

    assert created == [f"{table}_p2031_05" for table in TABLES]
    assert held_in(Position, early.pk) == "clients_position_p2031_05"
    assert Position.objects.get(pk=early.pk).as_of == datetime.date(2031, 5, 6)
    later = position(account, product, datetime.date(2031, 5, 7))
    assert held_in(Position, later.pk) == "clients_position_p2031_05"
    assert later.pk > early.pk  # one sequence feeds every partition
    assert ensure_months([datetime.date(2031, 5, 31)]) == []  # made once
    assert holding("clients_position", [datetime.date(2031, 5, 1), datetime.date(2031, 7, 1)]) == [
        "clients_position_p2031_05",
        "clients_position_default",
    ]


@pytest.mark.django_db
def test_the_nightly_import_step_makes_this_month_and_the_next_before_anything_is_written():
    run_id = pipeline.claim(datetime.date(2032, 12, 10))

    rows = pipeline.import_step(run_id)

    assert rows["skipped"] == "no extract folder"
    assert rows["partitions created"] == [f"{table}_p{month}" for table in TABLES for month in ("2032_12", "2033_01")]
    assert pipeline.import_step(run_id).get("partitions created") is None  # the second night of the month


@pytest.mark.django_db
def test_a_night_that_made_a_month_refreshes_the_tables_statistics_once_published():
    def estimated() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'clients_position'")
            return cursor.fetchone()[0]

    run_id = pipeline.claim(datetime.date(2032, 12, 10))
    pipeline.import_step(run_id)  # makes December and January
    account, product = an_account_and_a_product()
    for day in (datetime.date(2032, 12, 1), datetime.date(2032, 12, 2), datetime.date(2033, 1, 3)):
        position(account, product, day)
    assert estimated() != Position.objects.count()  # not while the night runs

    pipeline.publish_step(run_id)

    assert estimated() == Position.objects.count()


def test_an_imported_day_lands_in_its_month_not_the_default(masters, tmp_path):  # noqa: F811 (the fixture)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clients_position_default")
        assert cursor.fetchone()[0] == 0

    result = import_folder(write_folder(tmp_path, TRADING))

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert {held_in(Position, pk) for pk in Position.objects.values_list("pk", flat=True)} == {
        "clients_position_p2026_11"
    }
    assert {held_in(CashBalance, pk) for pk in CashBalance.objects.values_list("pk", flat=True)} == {
        "clients_cashbalance_p2026_11"
    }


@pytest.mark.django_db
def test_the_migration_keeps_every_row_and_id_both_ways():
    account, product = an_account_and_a_product()
    days = [
        datetime.date(2025, 12, 31),
        datetime.date(2026, 1, 2),
        datetime.date(2026, 2, 27),
        datetime.date(2026, 5, 4),
    ]
    rows = {position(account, product, day).pk: day for day in days}
    AssetSnapshot.objects.create(
        client=account.client, as_of=days[0], total_assets=Decimal("10.50"), cash=Decimal("10.50"), securities=0
    )

    # The rows above were written in this test's transaction: their deferred foreign-key checks
    # must fire before the migrations alter the tables (as they would have, committed, in a
    # real upgrade).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("migrate", "clients", "0012", verbosity=0)
    assert "clients_position_p2026_01" not in partitions("clients_position")
    assert dict(Position.objects.values_list("pk", "as_of")) == rows
    unpartitioned = position(account, product, datetime.date(2026, 3, 2))
    rows[unpartitioned.pk] = unpartitioned.as_of

    call_command("migrate", "clients", verbosity=0)

    assert dict(Position.objects.values_list("pk", "as_of")) == rows
    for pk, day in rows.items():
        assert held_in(Position, pk) == f"clients_position_p{day:%Y_%m}"
    assert "clients_position_p2026_04" in partitions("clients_position")  # no gap: a month without rows too
    assert AssetSnapshot.objects.get().total_assets == Decimal("10.50")
    assert held_in(AssetSnapshot, AssetSnapshot.objects.get().pk) == "clients_assetsnapshot_p2025_12"
    assert position(account, product, datetime.date(2026, 3, 3)).pk > max(rows)


@pytest.mark.django_db
def test_the_admins_estimate_of_a_partitioned_table_sums_its_months():
    from core.admin_utils import planner_row_estimate

    account, product = an_account_and_a_product()
    ensure_months([datetime.date(2031, 5, 1), datetime.date(2031, 6, 1)])
    for day in (datetime.date(2031, 5, 6), datetime.date(2031, 5, 7), datetime.date(2031, 6, 2)):
        position(account, product, day)
    with connection.cursor() as cursor:
        for name in partitions("clients_position"):
            cursor.execute(f"ANALYZE {name}")

    assert planner_row_estimate(Position.objects.all()) == Position.objects.count() >= 3


@pytest.mark.django_db(transaction=True)
def test_two_sessions_making_the_same_month_take_turns():
    import threading

    from django.db import connections, transaction

    made = {}

    def other_session():
        try:
            made["second"] = ensure_months([datetime.date(2033, 3, 9)], ["clients_position"], analyze=False)
        finally:
            connections.close_all()

    try:
        with transaction.atomic():
            made["first"] = ensure_months([datetime.date(2033, 3, 3)], ["clients_position"], analyze=False)
            second = threading.Thread(target=other_session)
            second.start()
            second.join(timeout=1)
            assert second.is_alive()  # waiting for the first session's month
        second.join(timeout=30)
        assert made == {"first": ["clients_position_p2033_03"], "second": []}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS clients_position_p2033_03")


@pytest.mark.django_db
def test_a_failed_statistics_refresh_does_not_undo_the_publication(monkeypatch):
    from django.db import DatabaseError

    import clients.partitions
    from nightly.models import NightlyRun

    def fails(created):
        raise DatabaseError("canceling statement due to statement timeout")

    monkeypatch.setattr(clients.partitions, "refresh_statistics", fails)
    run_id = pipeline.claim(datetime.date(2034, 6, 12))
    pipeline.import_step(run_id)

    assert pipeline.publish_step(run_id) == {"published": 1}
    assert NightlyRun.objects.get(pk=run_id).status == NightlyRun.Status.PUBLISHED


@pytest.mark.django_db
def test_the_client_page_shows_the_latest_day_held_whatever_the_assets_day_says():
    """The client page looks for the latest positions from the client's assets day on (one
    month's partition), and in every month when nothing is held since then."""
    from workbench.client_page import client_profile

    account, product = an_account_and_a_product()
    client = account.client
    for day in (datetime.date(2026, 9, 30), datetime.date(2026, 10, 30)):
        position(account, product, day)

    def shown(assets_as_of):
        client.assets_as_of = assets_as_of
        context = client_profile(client, None, sections=("positions",))
        return context["positions_as_of"], {p.as_of for p in context["positions"]}

    october = datetime.date(2026, 10, 30)
    assert shown(october) == (october, {october})
    # sold out since: the assets day is later than any position
    assert shown(datetime.date(2026, 12, 4)) == (october, {october})
    # positions imported before the nightly run moved the assets day on
    assert shown(datetime.date(2026, 9, 30)) == (october, {october})
    assert shown(None) == (october, {october})
    position(account, product, datetime.date(2026, 12, 4))
    assert shown(october) == (datetime.date(2026, 12, 4), {datetime.date(2026, 12, 4)})


@pytest.mark.django_db
def test_the_products_held_are_the_latest_days_up_to_today_whatever_the_assets_day_says():
    """``suitability.shelf.held_products`` (next best products leave out what is held): the
    latest day up to today, found from the assets day on or, failing that, in every month."""
    from suitability.shelf import held_products

    account, product = an_account_and_a_product()
    other = ProductFactory()
    client = account.client
    position(account, product, datetime.date(2026, 9, 30))
    october = position(account, other, datetime.date(2026, 10, 30))
    today = datetime.date(2026, 12, 4)

    def held(assets_as_of, on=today):
        client.assets_as_of = assets_as_of
        return held_products(client, on)

    assert held(datetime.date(2026, 10, 30)) == {other.pk}
    assert held(datetime.date(2026, 12, 4)) == {other.pk}  # sold out since
    assert held(datetime.date(2026, 9, 1)) == {other.pk}
    assert held(None) == {other.pk}
    assert held(datetime.date(2026, 10, 30), on=datetime.date(2026, 10, 1)) == {product.pk}  # a day before
    position(account, product, datetime.date(2026, 12, 31))  # after today: not yet
    assert held(datetime.date(2026, 12, 4)) == {other.pk}
    Position.objects.filter(pk=october.pk).update(quantity=0)
    assert held(datetime.date(2026, 10, 30)) == set()
