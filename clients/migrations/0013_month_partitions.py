"""Positions, cash balances and asset snapshots partitioned by month of ``as_of`` (PostgreSQL).

Why: ``clients.partitions``. Each table is rebuilt: renamed aside, created again as a partitioned
table with the same columns, a default partition and one partition per month from its first
row's to its last's; its rows copied over, then its keys and indexes built on the partitions
(faster than maintaining them row by row), and the old table dropped. The primary key becomes (id, as_of) and the id's
identity a sequence default (see ``clients.partitions``); Django's view of the models does not
change. Other databases: nothing to do.

On a large book this rewrites the three tables once (a million clients, 75M positions: allow
tens of minutes and the tables' size again in free disk), in one transaction, holding them
locked; run it in a maintenance window.
"""

import time

from django.db import migrations

from clients.partitions import TABLES, default_partition, is_partitioned, months_between, next_month, partition_name

KEY = "as_of"


def _keys(cursor, table):
    """``(unique constraints, other indexes)`` as ``(name, definition)``, primary key apart."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'u' ORDER BY conname",
        [table],
    )
    uniques = cursor.fetchall()
    cursor.execute(
        """
        SELECT ix.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
        JOIN pg_class ix ON ix.oid = i.indexrelid
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
        ORDER BY ix.relname
        """,
        [table],
    )
    indexes = [(name, definition.replace(" ON ONLY ", " ON ")) for name, definition in cursor.fetchall()]
    return uniques, indexes


def _set_aside(cursor, table, aside):
    """Rename ``table`` to ``aside`` and free the names of its keys and indexes."""
    uniques, indexes = _keys(cursor, table)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    for name, _definition in uniques:
        cursor.execute(f'ALTER TABLE {aside} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(f"ALTER TABLE {aside} DROP CONSTRAINT IF EXISTS {table}_pkey")
    return uniques, indexes


def _build_keys(cursor, table, primary, uniques, indexes):
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({primary})")
    for name, definition in uniques:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        cursor.execute(definition)


def _move_rows(cursor, table, aside):
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {aside}")
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    top = cursor.fetchone()[0]
    cursor.execute(f"DROP TABLE {aside} CASCADE")
    return top


def _say(message: str) -> None:
    """A line per table on a book with rows: the rewrite takes minutes at a million clients."""
    print(f"  {message}", flush=True)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if is_partitioned(table, schema_editor.connection):
                continue
            aside = f"{table}__unpartitioned"
            uniques, indexes = _set_aside(cursor, table, aside)
            cursor.execute(f"ALTER TABLE {aside} ALTER COLUMN id DROP IDENTITY IF EXISTS")
            cursor.execute(f"CREATE TABLE {table} (LIKE {aside} INCLUDING DEFAULTS) PARTITION BY RANGE ({KEY})")
            cursor.execute(f"CREATE SEQUENCE {table}_id_seq OWNED BY {table}.id")
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq'::regclass)")
            cursor.execute(f"CREATE TABLE {default_partition(table)} PARTITION OF {table} DEFAULT")
            cursor.execute(f"SELECT MIN({KEY}), MAX({KEY}) FROM {aside}")
            first, last = cursor.fetchone()
            # Every month from the first to the last, those without rows too: with no gap, a
            # query from a day on leaves the default partition out of its plan.
            for month in months_between(first, last) if first else []:
                cursor.execute(
                    f"CREATE TABLE {partition_name(table, month)} PARTITION OF {table} FOR VALUES FROM (%s) TO (%s)",
                    [month, next_month(month)],
                )
            if first:
                started = time.perf_counter()
                _say(f"{table}: moving its rows into months {first:%Y-%m} to {last:%Y-%m}…")
            top = _move_rows(cursor, table, aside)
            _build_keys(cursor, table, f"id, {KEY}", uniques, indexes)
            if top:
                cursor.execute(f"SELECT setval('{table}_id_seq', %s)", [top])
                cursor.execute(f"ANALYZE {table}")
            if first:
                _say(f"{table}: done in {time.perf_counter() - started:.0f} s")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if not is_partitioned(table, schema_editor.connection):
                continue
            aside = f"{table}__partitioned"
            uniques, indexes = _set_aside(cursor, table, aside)
            cursor.execute(f"CREATE TABLE {table} (LIKE {aside})")
            top = _move_rows(cursor, table, aside)  # drops the partitions and the sequence they used
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
            if top:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [top])
            _build_keys(cursor, table, "id", uniques, indexes)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0012_nightly_write_path"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
