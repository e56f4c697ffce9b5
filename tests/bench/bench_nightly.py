"""Benchmark the nightly run — the trading-file import and the pipeline — against floors
measured in the same run.

    python tests/bench/bench_nightly.py --clients 200000 [--transactions 10000000] [--keep]
    python tests/bench/bench_nightly.py --reuse postgres://…/crm_bench_nightly   # a kept database

On a scratch PostgreSQL database next to DATABASE_URL's (``<name>_bench_nightly``):

1. ``seed_demo`` builds the book with ``COPY`` (in a subprocess, so its memory is not counted
   below); older history is added set-based until the transactions table holds
   ``--transactions`` rows (the seed makes ~21 per client). The seeded state a night changes
   (clients' derived fields, alerts) is saved once; ``--reuse`` restores it and drops what earlier
   measurements wrote (runs, facts, churn features, segment history, import batches), so a kept
   database is measured again in minutes instead of reseeding for ten.
2. The as-of day's trading rows are exported as an extract folder (``COPY … TO``) and deleted,
   as if they had not arrived yet, with the day's asset snapshots made from them.
3. **Import**: ``import_folder`` of that folder (validation, staging ``COPY``, set-based merge),
   next to two floors: a raw ``COPY`` of the same files into unindexed text tables, and a
   ``COPY`` of the resolved rows into empty tables like the targets.
4. **First night** of the book (the previous trading day): every client's first segmentation
   and the churn history computed from scratch; then the churn inputs (and the labels known
   by then) of the measured night's reference days, which a running installation kept night by
   night.
5. **The night** of the as-of day, step by step as the chain runs them (the segmentation chunks on
   ``--workers`` processes, default 2 like the compose file's worker, started before the first
   night as a Celery worker's pool is started before the beat fires), next to
   the floor: the same aggregates as one plain SQL statement per table (``SELECT count(*) FROM
   (aggregate) q``, so only the server's work is timed); then a **rerun** of the same date.
6. Peak memory (max RSS) of this process, which did steps 2–5, and of the worker processes.

Before the import, its target-like floor, the night, the floor and the rerun, a ``CHECKPOINT`` (``settle``) lets the
set-up's writes reach the disk first, so a step is not measured while PostgreSQL flushes what
an earlier one wrote.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_seed import scratch_database as _scratch_database  # noqa: E402


def scratch_database(url: str) -> tuple[str, callable]:
    return _scratch_database(url, suffix="_bench_nightly")


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
        # The day's snapshots are made from these files: a night never finds them before its
        # snapshots step (until 2026-11-23 the seeded ones stayed, and the bench measured the
        # rerun's merge for the first run too).
        cursor.execute("DELETE FROM clients_assetsnapshot WHERE as_of = %(day)s", {"day": day})
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
    """The aggregates the night computes, one plain statement per table over the whole book, each
    materialised into a temporary table (``CREATE TEMP TABLE … AS``), so every aggregate is
    computed. (Until 2026-11-23 the floor counted the rows of each aggregate instead, and
    PostgreSQL then drops the aggregates nobody reads — its transactions "aggregate" grouped the
    rows and summed nothing — so it measured about half the work it named.)"""
    import datetime

    from django.db import connection

    from nightly.steps.segmentation import trading_days

    window = trading_days(day, 20)[0]
    base = day - datetime.timedelta(days=90)
    month = day - datetime.timedelta(days=30)
    year = day - datetime.timedelta(days=365)
    half_year = day - datetime.timedelta(days=180)
    statements = {
        # what segmentation and the alerts read of each client
        "clients": "SELECT id, status, opened_on, tier, lifecycle_stage, behavior_segment, sleeping, total_assets, "
        "primary_advisor_id, client_type, birth_date, risk_level FROM clients_client",
        # the day's asset snapshots: positions, balances and flows of the day by client
        "positions (day)": "SELECT client_id, SUM(market_value) AS value FROM clients_position WHERE as_of = %(day)s "
        "GROUP BY client_id",
        "balances (day)": "SELECT client_id, SUM(cash) AS cash FROM clients_cashbalance WHERE as_of = %(day)s "
        "GROUP BY client_id",
        # segmentation's and churn's facts: the tier window and the older snapshots
        "snapshots (window)": "SELECT client_id, SUM(CASE WHEN as_of >= %(window)s THEN total_assets ELSE 0 END), "
        "SUM(CASE WHEN as_of >= %(window)s THEN 1 ELSE 0 END), MAX(CASE WHEN as_of = %(day)s THEN total_assets END), "
        "MAX(CASE WHEN as_of = %(day)s THEN securities END), MAX(CASE WHEN as_of = %(day)s THEN cash END), "
        "MAX(CASE WHEN as_of = %(base)s THEN total_assets END), MAX(CASE WHEN as_of = %(month)s THEN total_assets END) "
        "FROM clients_assetsnapshot WHERE (as_of >= %(window)s AND as_of <= %(day)s) OR as_of = %(base)s "
        "OR as_of = %(month)s GROUP BY client_id",
        "transactions": "SELECT client_id, MAX(trade_date), MIN(trade_date), "
        "SUM(CASE WHEN trade_date > %(year)s THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN trade_date > %(year)s AND side IN ('buy', 'subscribe') THEN amount ELSE 0 END), "
        "SUM(CASE WHEN trade_date > %(year)s AND side IN ('sell', 'redeem') THEN amount ELSE 0 END) "
        "FROM clients_transaction WHERE trade_date <= %(day)s AND side IN ('buy', 'sell', 'subscribe', 'redeem') "
        "GROUP BY client_id",
        "cash flows": "SELECT client_id, MAX(flow_date), MIN(flow_date), "
        "SUM(CASE WHEN flow_date > %(month)s AND direction = 'out' THEN amount ELSE 0 END), "
        "SUM(CASE WHEN flow_date > %(month)s AND direction = 'in' THEN amount ELSE 0 END), "
        "SUM(CASE WHEN flow_date > %(base)s AND direction = 'out' THEN amount ELSE 0 END), "
        "SUM(CASE WHEN flow_date > %(base)s AND direction = 'in' THEN amount ELSE 0 END) "
        "FROM clients_cashflow WHERE flow_date <= %(day)s GROUP BY client_id",
        # churn's last contact and complaints
        "interactions": "SELECT client_id, MAX(occurred_at) FROM clients_interaction GROUP BY client_id",
        "tickets": "SELECT t.client_id, COUNT(*) FROM tickets_ticket t JOIN tickets_ticketkind k ON k.id = t.kind_id "
        "WHERE k.is_complaint AND t.created_at >= %(half_year)s GROUP BY t.client_id",
        # suitability drift: each client's assessment in force and the book's holdings on the day
        "assessments": "SELECT DISTINCT ON (client_id) client_id, id, risk_level FROM suitability_riskassessment "
        "ORDER BY client_id, assessed_at DESC, id DESC",
        "positions (holdings)": "SELECT client_id, product_id, SUM(market_value) FROM clients_position "
        "WHERE as_of = %(day)s AND quantity > 0 GROUP BY client_id, product_id",
        # maturities: positions in products maturing after the day
        "positions (maturity)": "SELECT p.client_id, p.product_id, SUM(p.market_value) FROM clients_position p "
        "JOIN products_product pr ON pr.id = p.product_id WHERE p.as_of = %(day)s AND pr.maturity_date > %(day)s "
        "GROUP BY p.client_id, p.product_id",
    }
    params = {"day": day, "window": window, "base": base, "month": month, "year": year, "half_year": half_year}
    seconds = {}
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")  # as the night's own aggregates (core.bulk.frames.aggregate_memory)
        for number, (label, query) in enumerate(statements.items()):
            cursor.execute(f"SELECT * FROM ({query}) q LIMIT 0", params)
            names = ", ".join(f"c{position}" for position in range(len(cursor.description)))
            started = time.perf_counter()
            cursor.execute(f"CREATE TEMP TABLE floor_{number} ({names}) AS {query}", params)
            seconds[label] = time.perf_counter() - started
            cursor.execute(f"DROP TABLE floor_{number}")
        cursor.execute("RESET work_mem")
    return seconds


SAVED = {
    # The state a night changes, as the seed left it, so ``--reuse`` starts every measurement
    # from the same book.
    "bench_saved_clients": "SELECT id, tier, lifecycle_stage, behavior_segment, sleeping, segmented_on, "
    "total_assets, assets_as_of, churn_score, updated_at FROM clients_client",
    "bench_saved_alerts": "SELECT id, status, closed_at, close_note, snoozed_until FROM advisors_alert",
}


def save_or_restore_book() -> str:
    """Save the seeded book's nightly state once; on later runs put it back and drop what
    earlier measurements wrote (runs, facts, churn features, segment history, alerts)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_saved_clients') IS NOT NULL")
        if not cursor.fetchone()[0]:
            cursor.execute("SELECT count(*) FROM nightly_nightlyrun")
            if cursor.fetchone()[0]:
                sys.exit("--reuse needs a database kept by this bench (its seeded state was not saved)")
            for table, query in SAVED.items():
                cursor.execute(f"CREATE TABLE {table} AS {query}")
            return "saved"
        cursor.execute(
            "UPDATE clients_client c SET tier = s.tier, lifecycle_stage = s.lifecycle_stage, "
            "behavior_segment = s.behavior_segment, sleeping = s.sleeping, segmented_on = s.segmented_on, "
            "total_assets = s.total_assets, assets_as_of = s.assets_as_of, churn_score = s.churn_score, "
            "updated_at = s.updated_at FROM bench_saved_clients s WHERE s.id = c.id"
        )
        cursor.execute(
            "DELETE FROM advisors_alert a WHERE NOT EXISTS (SELECT 1 FROM bench_saved_alerts s WHERE s.id = a.id)"
        )
        cursor.execute(
            "UPDATE advisors_alert a SET status = s.status, closed_at = s.closed_at, close_note = s.close_note, "
            "snoozed_until = s.snoozed_until FROM bench_saved_alerts s WHERE s.id = a.id AND a.status <> s.status"
        )
        for table in (
            "clients_segmentchange",
            "nightly_clientfacts",
            "nightly_churnfeatures",
            "nightly_nightlychunk",
            "nightly_churnmodel",
        ):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM nightly_nightlyrun")
        cursor.execute("DELETE FROM crm_importbatch WHERE source = 'import'")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE clients_client")
        cursor.execute("VACUUM ANALYZE advisors_alert")
    return "restored"


def previous_trading_day(day):
    from nightly.steps.segmentation import trading_days

    return trading_days(day, 2)[0]


def _chunk_worker_setup() -> None:
    """A worker process: Django on the same (scratch) database as the parent, and what a Celery
    worker process loads when it starts (``nightly.worker``: scikit-learn, 2–2.5 s, which a
    long-lived worker imports once, not every night)."""
    import django

    django.setup()
    from nightly.worker import load_the_nights_libraries

    load_the_nights_libraries()


def _ready() -> int:
    time.sleep(0.5)  # long enough that every process of the pool is started to take one
    return os.getpid()


@contextlib.contextmanager
def worker_pool(workers: int):
    """The processes the nights' groups run on, started and set up before the first night — as
    a Celery worker's pool processes are up, with the night's libraries imported
    (``nightly.worker``), before the beat fires. Until the eighth session each group started its own
    processes inside the night's time: 1.85 s per group (spawning, ``django.setup``,
    scikit-learn), twice a night, that no Celery night pays. ``None`` for one worker: every step
    runs in this process."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    if workers <= 1:
        yield None
        return
    size = max(2, workers)  # churn and the alerts run side by side whatever --workers says
    with ProcessPoolExecutor(size, mp_context=get_context("spawn"), initializer=_chunk_worker_setup) as pool:
        started = {done.result() for done in [pool.submit(_ready) for _ in range(size)]}
        assert len(started) == size, started
        yield pool


def _task(function, *args) -> float:
    """One task on a pool process; its database connection closed afterwards, as Celery's
    Django fix-up closes it after each task (``CONN_MAX_AGE`` 0). Returns the process's peak
    memory so far (MiB)."""
    from django.db import connections

    try:
        function(*args)
    finally:
        connections.close_all()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_chunk(run_id: int, index: int) -> float:
    from nightly import pipeline

    return _task(pipeline.chunk_step, run_id, index)


def _run_steps(names: tuple[str, ...], run_id: int) -> float:
    """Steps one after the other on one process, as a chain inside a group runs them."""
    from nightly import pipeline

    return _task(lambda: [getattr(pipeline, name)(run_id) for name in names])


def settle() -> None:
    """Let what the set-up wrote reach the disk before a measured step (``CHECKPOINT``).

    The first night and the churn history before the measured night write gigabytes of WAL.
    Without this, PostgreSQL's checkpoints for that WAL (spread over minutes by
    ``checkpoint_completion_target``) ran during the measured night and the floor, and one book
    (freshly seeded, then kept) measured 54.6 s, 57.3 s and 27.2 s for the same night in three
    runs (2026-11-23, fifth session): the segmentation's client rewrites waited on the I/O. A real night starts
    after a quiet day, with the day's import as the only large write before it. Needs
    superuser or ``pg_checkpoint``; without them the step is measured as it is."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        print(f"  (no CHECKPOINT before the step: {exc})", flush=True)


def night(day, results: dict, label: str, pool=None):
    """One nightly run, step by step as the Celery chain runs them, and its wall time. The
    segmentation chunks (a Celery group) run on the ``pool``'s processes (``worker_pool``), as on
    a worker started with ``--concurrency N`` (docker-compose.yml: 2), and so do churn and the
    alerts (a group of two); the other steps are single tasks. Steps other changes add to the
    chain (e.g. reports) are left out: the floor below has nothing of theirs, and they have
    their own benchmark. Without a pool, every step runs in this process, one after the other."""
    from django.db import connections

    from nightly import pipeline
    from nightly.models import NightlyRun

    run_id = pipeline.claim(day)
    started = time.perf_counter()
    pipeline.import_step(run_id)
    facts_started = time.perf_counter()
    if pool is not None:  # the snapshots and the plan beside the activity facts
        connections.close_all()  # as the chain's tasks, each step opens its own
        branches = [(("snapshots_step", "plan_step"), run_id), (("activity_facts_step",), run_id)]
        for done in [pool.submit(_run_steps, *branch) for branch in branches]:
            results["worker peak"] = max(results.get("worker peak", 0), done.result())
    else:
        pipeline.snapshots_step(run_id)
        pipeline.plan_step(run_id)
        pipeline.activity_facts_step(run_id)
    results[f"{label} facts wall"] = time.perf_counter() - facts_started
    chunks = pipeline.chunk_indices(run_id)
    group_started = time.perf_counter()
    if pool is not None:
        connections.close_all()
        for done in [pool.submit(_run_chunk, run_id, index) for index in chunks]:
            results["worker peak"] = max(results.get("worker peak", 0), done.result())
    else:
        for index in chunks:
            pipeline.chunk_step(run_id, index)
    results[f"{label} segmentation wall"] = time.perf_counter() - group_started
    pipeline.join_step(run_id)
    side_started = time.perf_counter()
    if pool is not None:  # churn beside the alerts, as the chain's group runs them
        connections.close_all()
        for done in [pool.submit(_run_steps, (name,), run_id) for name in ("churn_step", "alerts_step")]:
            results["worker peak"] = max(results.get("worker peak", 0), done.result())
    else:
        pipeline.churn_step(run_id)
        pipeline.alerts_step(run_id)
    results[f"{label} churn and alerts wall"] = time.perf_counter() - side_started
    pipeline.reclaim_client_rows()  # the reports step's first act, timed as the night's
    results[label] = time.perf_counter() - started
    pipeline.publish_step(run_id)
    run = NightlyRun.objects.get(pk=run_id)
    assert run.status == NightlyRun.Status.PUBLISHED, (run.status, run.error)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--transactions", type=int, default=int(os.environ.get("BENCH_TRANSACTIONS", 10_000_000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes for the segmentation chunks (the compose worker's 2)"
    )
    parser.add_argument(
        "--reuse",
        metavar="DATABASE_URL",
        help="measure again on a database kept by an earlier --keep run (no seeding; its seeded state is restored)",
    )
    args = parser.parse_args()

    if args.reuse:
        url, drop = args.reuse, None
    else:
        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
        url, drop = scratch_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    figures: dict[str, float] = {}
    try:
        print(f"{'reused' if args.reuse else 'scratch'} database: {url}", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        if not args.reuse:
            started = time.perf_counter()
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

        from demo.context import SeedOptions
        from imports.service import import_folder
        from nightly import pipeline
        from nightly.steps import churn

        day = SeedOptions(clients=1).as_of
        if args.reuse:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM clients_transaction")
                transactions = cursor.fetchone()[0]
                cursor.execute("SELECT count(*) FROM clients_client")
                args.clients = cursor.fetchone()[0]
        else:
            transactions = timed("grow transactions", figures, grow_transactions, args.transactions)
        folder = Path(tempfile.mkdtemp(prefix="bench_nightly_")) / day.isoformat()
        folder.mkdir()
        exported = export_day(day, folder)
        print(f"book {save_or_restore_book()}; the day's rows exported and deleted", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        floor_copy = copy_floor(folder)
        settle()
        result = timed("import", figures, import_folder, folder)
        assert result.status == "succeeded", [str(e) for e in result.errors[:5]]
        settle()  # the import's own writes are not the floor's to flush
        floor_table = table_copy_floor(day)
        print(f"import {figures['import']:.1f} s", flush=True)
        with worker_pool(args.workers) as pool:
            # The first night of a new book: every client's first segmentation, and the churn
            # features of the past reference days computed (a running book kept them night by night).
            first = night(previous_trading_day(day), figures, "first night", pool)
            print(f"first night {figures['first night']:.1f} s", flush=True)
            started = time.perf_counter()
            references = [day - datetime.timedelta(days=churn.HORIZON + 30 * step) for step in range(6)]
            for reference in references:
                churn.store_features(reference)
                if reference < references[0]:  # the night 90 days after it labelled it; tonight labels the newest
                    churn.label_day(reference)
            figures["past features"] = time.perf_counter() - started
            settle()
            run = night(day, figures, "pipeline", pool)
            print(f"night {figures['pipeline']:.1f} s", flush=True)
            settle()
            floor_sql = sql_floor(day)
            settle()
            night(day, figures, "pipeline rerun", pool)
        # A night that trains the churn model (the first after the churn_retrain_days threshold;
        # the nights above scored with the model the first night kept): what training adds.
        from core.models import Threshold

        Threshold.objects.update_or_create(key="churn_retrain_days", defaults={"value": "0"})
        timed("churn training", figures, churn.model_for, day)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        connection.close()
    finally:
        if args.keep or args.reuse:
            print(f"kept {url}")
        else:
            from django.db import connections

            connections.close_all()
            drop()

    rows = sum(exported.values())
    copy_total = sum(floor_copy.values())
    print()
    print(f"nightly bench: {args.clients:,} clients, {transactions:,} transactions, day {day}")
    if "seed" in figures:
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
    print(f"first night of the book ({first.date}: every client's first segmentation, churn history computed): "
          f"{figures['first night']:.1f} s; the past nights' churn features for {day}: "
          f"{figures['past features']:.1f} s")  # fmt: skip
    print(f"pipeline for {day} ({run.status}, {run.chunks_expected} chunks on {args.workers} worker processes):")
    for name in pipeline.STEPS:
        if name in run.steps and name != "import":
            entry = run.steps[name]
            extra = ""
            if name == "segmentation":
                extra = (
                    f" of work (longest chunk {entry['rows'].get('chunk_seconds_max', 0):.2f} s); "
                    f"{figures['pipeline segmentation wall']:.2f} s wall on {args.workers} worker processes"
                )
            if name == "churn":
                rows_ = entry["rows"]
                extra = (
                    f" (model {rows_.get('model')}, AUC model {rows_.get('model_auc')} rule {rows_.get('rule_auc')})"
                )
            if name == "alerts" and "seconds" in entry["rows"]:
                extra = " (" + ", ".join(f"{rule} {s:.1f} s" for rule, s in entry["rows"]["seconds"].items()) + ")"
            print(f"  {name:<13} {entry['seconds']:7.2f} s{extra}")
    print(f"  snapshots and plan beside the activity facts: {figures['pipeline facts wall']:.2f} s wall")
    print(f"  churn and alerts side by side: {figures['pipeline churn and alerts wall']:.2f} s wall")
    print(f"  pipeline total {figures['pipeline']:7.2f} s; rerun (nothing to change) {figures['pipeline rerun']:.2f} s")
    print(f"  a night that retrains the churn model (weekly by default) adds {figures['churn training']:.2f} s")
    for label, seconds in floor_sql.items():
        print(f"  floor {label:<20} {seconds:7.2f} s")
    floor_total = sum(floor_sql.values())
    print(f"  plain-SQL floor total {floor_total:7.2f} s; pipeline / floor: {figures['pipeline'] / floor_total:.2f}")
    print(f"peak memory (max RSS of import + three nights): {peak:,.0f} MiB", end="")
    if "worker peak" in figures:
        print(f"; of a worker process: {figures['worker peak']:,.0f} MiB", end="")
    print()


if __name__ == "__main__":
    main()
