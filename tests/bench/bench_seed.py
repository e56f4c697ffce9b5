"""Benchmark seed_demo against a floor measured in the same run.

    python tests/bench/bench_seed.py --clients 200000 [--seed 1] [--keep]

Runs on the PostgreSQL server configured by DATABASE_URL (``make bench`` starts the embedded
one when it is unset) but never touches that database's data: it creates a scratch database next
to it (``<name>_bench_seed``), migrates it, times ``seed_demo`` (generating the facts, writing them as
an extract folder, importing it, the details after it), and then times the floor — a plain
``COPY`` of the same number of transaction rows from an in-memory CSV into an unindexed scratch
table. It prints clients/s, rows/s, transactions/s and the ratio of
seed time to floor time. The scratch database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def scratch_database(url: str | None, suffix: str = "_bench_seed") -> tuple[str, callable]:
    """A fresh database URL on the same server (``<name><suffix>``), and a function that drops it."""
    if not url:
        sys.exit("set DATABASE_URL to a PostgreSQL server, or run `make bench`")
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + suffix
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()

    return urlunsplit(parts._replace(path="/" + name)), drop


@contextmanager
def scratch(base_url: str | None, suffix: str = "_bench_seed", *, keep: bool = False, label: str = ""):
    """A fresh scratch database for the ``with`` block, Django pointed at it (``use_database``);
    afterwards the connections are closed and it is dropped — or kept (``--keep``) and its URL
    printed, to measure again with ``--reuse``."""
    url, drop = scratch_database(base_url, suffix)
    use_database(url)
    print(f"scratch database: {url}{f' ({label})' if label else ''}", flush=True)
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"kept {url}")
        else:
            drop()


def use_database(url: str) -> None:
    """Point Django at ``url``: set it up on the first call, then re-point the default
    connection (a bench measuring several book sizes, one scratch database each)."""
    os.environ["DATABASE_URL"] = url
    import django
    from django.conf import settings

    if not settings.configured or not django.apps.apps.ready:
        django.setup()
        return
    import dj_database_url
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"].update(dj_database_url.parse(url))
    connections["default"].settings_dict.update(dj_database_url.parse(url))


def floor_seconds(rows: int) -> tuple[float, int]:
    """Time a plain bulk load of ``rows`` transaction rows (those just generated) into a scratch
    table without indexes or constraints. Returns (seconds, rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_floor (LIKE clients_transaction INCLUDING DEFAULTS)")
        buffer = io.BytesIO()
        cursor.copy_expert(f"COPY (SELECT * FROM clients_transaction LIMIT {rows}) TO STDOUT WITH (FORMAT csv)", buffer)
        buffer.seek(0)
        started = time.perf_counter()
        cursor.copy_expert("COPY bench_floor FROM STDIN WITH (FORMAT csv)", buffer)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_floor")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_floor")
        return seconds, copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url, drop = scratch_database(os.environ.get("DATABASE_URL"))
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo.context import SeedOptions
    from demo.run import seed_demo

    try:
        print(f"scratch database: {url}", flush=True)
        call_command("migrate", verbosity=0, skip_checks=True)
        result = seed_demo(SeedOptions(clients=args.clients, seed=args.seed))
        transactions = result.rows.get("extract transactions.csv", 0)
        floor, copied = floor_seconds(transactions)
        connection.close()
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            from django.db import connections

            connections.close_all()
            drop()

    total = result.total_rows
    print()
    print(f"seed_demo --clients {args.clients:,} --seed {args.seed}")
    for label, count in result.rows.items():
        print(f"  {label:<28} {count:>12,}")
    print(f"  {'total rows':<28} {total:>12,}")
    print("  stages: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.stages.items()))
    print(f"seed time            {result.seconds:10.1f} s")
    print(f"clients/s            {args.clients / result.seconds:10,.0f}")
    print(f"rows/s (all tables)  {total / result.seconds:10,.0f}")
    print(f"transactions/s       {transactions / result.seconds:10,.0f}")
    print(f"floor: plain COPY of {copied:,} transaction rows "
          f"into an unindexed table: {floor:.2f} s ({copied / floor:,.0f} rows/s)")  # fmt: skip
    print(f"ratio seed time / floor time: {result.seconds / floor:.1f}")
    print(f"ratio per row (seed s/row ÷ floor s/row): {(result.seconds / total) / (floor / max(copied, 1)):.2f}")


if __name__ == "__main__":
    main()
