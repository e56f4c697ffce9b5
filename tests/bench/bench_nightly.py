"""Benchmark the nightly run — the trading-file import and the pipeline — against floors
measured in the same run.

    python tests/bench/bench_nightly.py --clients 200000 [--transactions 10000000] [--keep]

On a scratch PostgreSQL database next to DATABASE_URL's (``<name>_bench_nightly``):

1. ``seed_demo`` builds the book with ``COPY`` (in a subprocess, so its memory is not counted
   below); older history is added set-based until the transactions table holds
   ``--transactions`` rows (the seed makes ~21 per client).
2. The as-of day's trading rows are exported as an extract folder (``COPY … TO``) and deleted,
   as if they had not arrived yet.
3. **Import**: ``import_folder`` of that folder (validation, staging ``COPY``, set-based merge),
   timed per file, next to the floor: a raw ``COPY`` of the same files into unindexed tables.
4. **Pipeline**: the nightly chain in-process (snapshots, segmentation in chunks, churn,
   alerts), timed per step, next to the floor: the same aggregates as one plain SQL statement
   per table (``SELECT count(*) FROM (aggregate) q``, so only the server's work is timed).
5. Peak memory (max RSS) of this process, which did steps 2–4.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def scratch_database(url: str) -> tuple[str, callable]:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench_nightly"
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


def timed(label: str, results: dict, function, *args):
    started = time.perf_counter()
    value = function(*args)
    results[label] = time.perf_counter() - started
    return value


EXPORTS = {
    "positions.csv": (
        "SELECT p.as_of, a.account_no, pr.code AS product_code, p.quantity, p.market_value, p.cost "
        "FROM clients_position p JOIN clients_account a ON a.id = p.account_id "
        "JOIN products_product pr ON pr.id = p.product_id WHERE p.as_of = %(day)s"
    ),
    "balances.csv": (
        "SELECT b.as_of, a.account_no, b.cash FROM clients_cashbalance b "
        "JOIN clients_account a ON a.id = b.account_id WHERE b.as_of = %(day)s"
    ),
    "transactions.csv": (
        "SELECT t.trade_id, a.account_no, pr.code AS product_code, t.trade_date, t.side, t.quantity, t.price, "
        "t.amount, t.commission, t.channel FROM clients_transaction t JOIN clients_account a ON a.id = t.account_id "
        "JOIN products_product pr ON pr.id = t.product_id WHERE t.trade_date = %(day)s"
    ),
    "cashflows.csv": (
        "SELECT f.flow_id, a.account_no, f.flow_date, f.direction, f.amount FROM clients_cashflow f "
        "JOIN clients_account a ON a.id = f.account_id WHERE f.flow_date = %(day)s"
    ),
}
DELETES = {
    "positions.csv": "DELETE FROM clients_position WHERE as_of = %(day)s",
    "balances.csv": "DELETE FROM clients_cashbalance WHERE as_of = %(day)s",
    "transactions.csv": "DELETE FROM clients_transaction WHERE trade_date = %(day)s",
    "cashflows.csv": "DELETE FROM clients_cashflow WHERE flow_date = %(day)s",
}


def grow_transactions(target: int) -> int:
    """Copy the seeded history back in time, two years per copy, until ``target`` rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clients_transaction")
        base = count = cursor.fetchone()[0]
        copy = 1
        while count < target:
            limit = min(base, target - count)
            cursor.execute(
                "INSERT INTO clients_transaction (trade_id, account_id, client_id, product_id, trade_date, side, "
                "quantity, price, amount, commission, channel) "
                f"SELECT trade_id || '-h{copy}', account_id, client_id, product_id, trade_date - {730 * copy}, side, "
                f"quantity, price, amount, commission, channel FROM clients_transaction "
                f"WHERE trade_id NOT LIKE '%%-h%%' ORDER BY id LIMIT {limit}"
            )
            count += cursor.rowcount
            copy += 1
        cursor.execute("ANALYZE clients_transaction")
    return count


def export_day(day, folder: Path) -> dict[str, int]:
    from django.db import connection, transaction

    rows = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for name, query in EXPORTS.items():
            buffer = io.StringIO()
            cursor.copy_expert(
                f"COPY ({cursor.mogrify(query, {'day': day}).decode()}) TO STDOUT WITH (FORMAT csv, HEADER true)",
                buffer,
            )
            text = buffer.getvalue()
            (folder / name).write_text(text, encoding="utf-8")
            rows[name] = text.count("\n") - 1
            cursor.execute(DELETES[name], {"day": day})
    return rows


def copy_floor(folder: Path) -> dict[str, float]:
    """A raw COPY of each file into an unindexed table of text columns, inside a rolled-back
    transaction."""
    from django.db import connection, transaction

    seconds = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for name in EXPORTS:
            data = (folder / name).read_bytes()
            width = data.split(b"\n", 1)[0].count(b",") + 1
            table = "floor_" + name.split(".")[0]
            cursor.execute(f"CREATE TEMP TABLE {table} ({', '.join(f'c{i} text' for i in range(width))})")
            started = time.perf_counter()
            cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", io.BytesIO(data))
            seconds[name] = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


TARGETS = {
    "positions.csv": ("clients_position", "as_of"),
    "balances.csv": ("clients_cashbalance", "as_of"),
    "transactions.csv": ("clients_transaction", "trade_date"),
    "cashflows.csv": ("clients_cashflow", "flow_date"),
}


def table_copy_floor(day) -> dict[str, float]:
    """A raw COPY of the same rows, already resolved to ids, into a logged table with the target's
    indexes and constraints (no foreign keys), committed: what writing the rows costs at least."""
    from django.db import connection, transaction

    seconds = {}
    for name, (table, column) in TARGETS.items():
        buffer = io.BytesIO()
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY (SELECT * FROM {table} WHERE {column} = '{day}') TO STDOUT", buffer)
            cursor.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
        buffer.seek(0)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(f"COPY floor_{table} FROM STDIN", buffer)
        seconds[name] = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE floor_{table}")
    return seconds


def sql_floor(day) -> dict[str, float]:
    """The pipeline's aggregates, one plain statement per table over the whole book."""
    import datetime

    from django.db import connection

    from clients.segmentation import trading_days

    window = trading_days(day, 20)[0]
    base = day - datetime.timedelta(days=90)
    year = day - datetime.timedelta(days=365)
    statements = {
        "clients": "SELECT id, status, opened_on, tier, lifecycle_stage, behavior_segment, total_assets, "
        "primary_advisor_id FROM clients_client",
        "snapshots (day)": "INSERT INTO floor_snap SELECT client_id, SUM(market_value) FROM clients_position "
        "WHERE as_of = %(day)s GROUP BY client_id UNION ALL SELECT client_id, SUM(cash) FROM clients_cashbalance "
        "WHERE as_of = %(day)s GROUP BY client_id",
        "snapshots (window)": "SELECT client_id, SUM(total_assets), COUNT(*), MAX(CASE WHEN as_of = %(day)s "
        "THEN total_assets END) FROM clients_assetsnapshot WHERE as_of >= %(window)s AND as_of <= %(day)s "
        "OR as_of = %(base)s GROUP BY client_id",
        "transactions": "SELECT client_id, MAX(trade_date), MIN(trade_date), SUM(CASE WHEN trade_date > %(year)s "
        "THEN 1 ELSE 0 END), SUM(CASE WHEN trade_date > %(year)s THEN amount ELSE 0 END) FROM clients_transaction "
        "WHERE trade_date <= %(day)s GROUP BY client_id",
        "cash flows": "SELECT client_id, MAX(flow_date), SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END) "
        "FROM clients_cashflow WHERE flow_date <= %(day)s GROUP BY client_id",
        "interactions": "SELECT client_id, MAX(occurred_at) FROM clients_interaction GROUP BY client_id",
        "assessments": "SELECT client_id, MAX(assessed_at) FROM suitability_riskassessment GROUP BY client_id",
        "positions (maturity)": "SELECT p.client_id, p.product_id, SUM(p.market_value) FROM clients_position p "
        "JOIN products_product pr ON pr.id = p.product_id WHERE p.as_of = %(day)s AND pr.maturity_date > %(day)s "
        "GROUP BY p.client_id, p.product_id",
    }
    params = {"day": day, "window": window, "base": base, "year": year}
    seconds = {}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE floor_snap (client_id bigint, value numeric)")
        for label, query in statements.items():
            started = time.perf_counter()
            if query.startswith("INSERT"):
                cursor.execute(query, params)
            else:
                cursor.execute(f"SELECT count(*) FROM ({query}) q", params)
                cursor.fetchone()
            seconds[label] = time.perf_counter() - started
        cursor.execute("DROP TABLE floor_snap")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--transactions", type=int, default=int(os.environ.get("BENCH_TRANSACTIONS", 10_000_000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    if url.startswith("sqlite"):
        sys.exit("bench_nightly needs PostgreSQL (set DATABASE_URL)")
    url, drop = scratch_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    figures: dict[str, float] = {}
    try:
        print(f"scratch database: {url}", flush=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "seed_demo",
                "--clients",
                str(args.clients),
                "--seed",
                str(args.seed),
                "--no-progress",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        figures["seed"] = time.perf_counter() - started
        import django

        django.setup()
        from django.db import connection

        from crm.demo.context import SeedOptions
        from crm.extract import import_folder
        from nightly import pipeline
        from nightly.models import NightlyRun
        from nightly.tasks import workflow

        day = SeedOptions(clients=1).as_of
        transactions = timed("grow transactions", figures, grow_transactions, args.transactions)
        folder = Path(tempfile.mkdtemp(prefix="bench_nightly_")) / day.isoformat()
        folder.mkdir()
        exported = export_day(day, folder)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        floor_copy = copy_floor(folder)
        result = timed("import", figures, import_folder, folder)
        assert result.status == "succeeded", [str(e) for e in result.errors[:5]]
        floor_table = table_copy_floor(day)
        run_id = pipeline.claim(day)
        started = time.perf_counter()
        workflow(run_id).apply()
        figures["pipeline"] = time.perf_counter() - started
        run = NightlyRun.objects.get(pk=run_id)
        floor_sql = sql_floor(day)
        rerun_id = pipeline.claim(day)
        started = time.perf_counter()
        workflow(rerun_id).apply()
        figures["pipeline rerun"] = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        connection.close()
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            from django.db import connections

            connections.close_all()
            drop()

    rows = sum(exported.values())
    copy_total = sum(floor_copy.values())
    print()
    print(f"nightly bench: {args.clients:,} clients, {transactions:,} transactions, day {day}")
    print(f"seed (subprocess) {figures['seed']:.1f} s; history grown in {figures['grow transactions']:.1f} s")
    print("import of the day's trading files:")
    for name in EXPORTS:
        report = result.file(name)
        print(f"  {name:<17} {exported[name]:>10,} rows  raw COPY {floor_copy[name]:6.2f} s  "
              f"COPY into target-like {floor_table[name]:6.2f} s  created {report.created:,}")  # fmt: skip
    print(f"  import total      {rows:>10,} rows  {figures['import']:6.2f} s  ({rows / figures['import']:,.0f} rows/s)")
    print(f"  raw COPY floor    {rows:>10,} rows  {copy_total:6.2f} s  ({rows / copy_total:,.0f} rows/s)")
    table_total = sum(floor_table.values())
    print(f"  COPY into tables like the targets (indexes, committed) {table_total:6.2f} s "
          f"({rows / table_total:,.0f} rows/s)")  # fmt: skip
    print(f"  import speed / raw COPY speed: {copy_total / figures['import']:.2f}; "
          f"/ COPY-into-target-like speed: {table_total / figures['import']:.2f}")  # fmt: skip
    print(f"pipeline ({run.status}, {run.chunks_expected} chunks):")
    for name in pipeline.STEPS:
        if name in run.steps and name != "import":
            entry = run.steps[name]
            extra = ""
            if name == "segmentation":
                extra = f" (chunks: {entry['rows'].get('chunk_seconds_total', 0):.1f} s in total)"
            if name == "churn":
                rows_ = entry["rows"]
                extra = (
                    f" (model {rows_.get('model')}, AUC model {rows_.get('model_auc')} rule {rows_.get('rule_auc')})"
                )
            print(f"  {name:<13} {entry['seconds']:7.2f} s{extra}")
    print(f"  pipeline total {figures['pipeline']:7.2f} s; rerun (nothing to change) {figures['pipeline rerun']:.2f} s")
    for label, seconds in floor_sql.items():
        print(f"  floor {label:<20} {seconds:7.2f} s")
    floor_total = sum(floor_sql.values())
    print(f"  plain-SQL floor total {floor_total:7.2f} s; pipeline / floor: {figures['pipeline'] / floor_total:.2f}")
    print(f"peak memory (max RSS of import + pipeline): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
