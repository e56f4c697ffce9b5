"""Month partitions of the daily fact tables: positions, cash balances and asset snapshots.

These tables gain a row per account (or client) per trading day and keep every day: at a
million clients, four million positions a night, a billion a year. Unpartitioned, each night
adds an entry to every leaf page of (client, day) indexes spanning all the days ever loaded: at a
million clients, one day's positions took 44 s to ``COPY`` into the positions' indexes against
3.8 s raw, and the cost grew with the history. Each of the three tables is
partitioned by the month of ``as_of`` (migration ``clients 0013``), so a night writes into one
month's table and indexes, whatever the length of the history; an old month can be archived by
detaching it.

A month's partition is ``<table>_pYYYY_MM`` and holds [first of the month, first of the next).
A default partition, ``<table>_default``, takes rows of a month that has none yet, so a write
never fails for want of one (a test's position in 2019, a manual import of an old day).
``ensure_months`` creates the months about to be written, moving over any of their rows the
default partition took; the nightly run creates the run's month and the next one before its
import.

The partitions are plain PostgreSQL: Django sees one table per model. Two things differ from an
unpartitioned table: the primary key is (id, as_of), as PostgreSQL requires the partition key in
every unique key (the id alone stays unique: one sequence feeds every partition), and the id has
a sequence default instead of an identity, which PostgreSQL 15 does not allow on a partitioned
table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection, transaction

TABLES = ("clients_position", "clients_cashbalance", "clients_assetsnapshot")
KEY = "as_of"


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def months(days: Iterable[datetime.date]) -> list[datetime.date]:
    """The first day of every month the days fall in, in order."""
    return sorted({month_start(day) for day in days})


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of every month from ``first``'s to ``last``'s, both included."""
    found, month = [], month_start(first)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def partition_name(table: str, first: datetime.date) -> str:
    return f"{table}_p{first:%Y_%m}"


def default_partition(table: str) -> str:
    return f"{table}_default"


def is_partitioned(table: str, using=None) -> bool:
    """Whether ``table`` is a partitioned table, on ``using`` (a connection; default the
    default one — the migration passes its schema editor's)."""
    using = using or connection
    with using.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row and row[0])


def partitions(table: str) -> list[str]:
    """The names of ``table``'s partitions (none if it is not partitioned)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def ensure_months(days: Iterable[datetime.date], tables: Iterable[str] = TABLES, analyze: bool = True) -> list[str]:
    """Create the month partitions the days need that do not exist yet; the names created.

    Inside a transaction the partitions are created with it (and go if it rolls back). Attaching
    takes a ``SHARE UPDATE EXCLUSIVE`` lock on the table, which readers and writers do not wait
    for, and an exclusive lock on the default partition, normally empty; so the nightly run
    creates its months in a short transaction of their own before the import.

    ``analyze``: refresh the statistics of a table that got a month (``refresh_statistics``).
    The nightly run passes False and refreshes them once the night is published."""
    wanted = months(days)
    created: list[str] = []
    if not wanted:
        return created
    for table in tables:
        if not is_partitioned(table):
            continue
        existing = set(partitions(table))
        for first in wanted:
            name = partition_name(table, first)
            if name not in existing and _attach_month(table, name, first):
                created.append(name)
    if analyze:
        refresh_statistics(created)
    return created


def refresh_statistics(created: Iterable[str]) -> list[str]:
    """``ANALYZE`` each partitioned table one of the ``created`` partitions belongs to; the
    tables. PostgreSQL gathers a partitioned table's table-wide statistics (what the planner
    knows of it in a query over several months) only on request, and autovacuum never asks;
    a new month is the time. It samples every month again: 31.6 s for the three tables at a
    million clients and 26 months, so the nightly run does it after publishing."""
    tables = [table for table in TABLES if any(name.startswith(f"{table}_p") for name in created)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
    return tables


# Held while a month is made, so two sessions making the same month (two nights of one month
# run at once, a manual import beside the nightly run) take turns; the second finds it made.
_MAKING_A_MONTH = 0x70617274  # "part"


def _attach_month(table: str, name: str, first: datetime.date) -> bool:
    """Make one month's partition; False if another session made it meanwhile."""
    end = next_month(first)
    default = default_partition(table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MAKING_A_MONTH])
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
        # Rows of this month that came before it had a partition wait in the default one.
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {KEY} >= %s AND {KEY} < %s RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved",
            [first, end],
        )
        # Attaching builds the table's indexes and keys on the new partition.
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [first, end])
    return True


def holding(table: str, days: Iterable[datetime.date]) -> list[str]:
    """The tables that hold ``table``'s rows of these days: their month partitions (or the
    default partition where a month has none), or ``table`` itself if it is not partitioned. For
    ``ANALYZE`` after a load: on a partitioned table it would sample and analyse every month."""
    if not is_partitioned(table):
        return [table]
    existing = set(partitions(table))
    names = []
    for first in months(days):
        name = partition_name(table, first)
        name = name if name in existing else default_partition(table)
        if name not in names:
            names.append(name)
    return names
