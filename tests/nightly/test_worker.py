"""The nightly chain on a real Celery worker consuming from the real Redis.

The worker is another process, so it cannot see the test's uncommitted data: it works on a
copy of the test database made for this session (``CREATE DATABASE … TEMPLATE``), which is
dropped afterwards — the test database itself is never written outside a test transaction.
The test sends the scheduled entry point, ``nightly.run``, with the extract to import, and
reads the outcome from the copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg2
import pytest
from django.db import connection, connections

from nightly.steps.segmentation import trading_days
from nightly.tasks import run as nightly_run
from tests.celery_worker import ROOT, running_worker
from tests.nightly.book import DAY, write_extract

# How long a chain may take before the test gives up: a safety stop, not a speed target (a chain
# of four chunks takes about 5 s on an idle machine).
DEADLINE = 240

pytestmark = pytest.mark.services


def _connect(name: str):
    db = connection.settings_dict
    return psycopg2.connect(
        dbname=name, user=db["USER"], password=db.get("PASSWORD") or None, host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )  # fmt: skip


def _copy_of_the_test_database(django_db_blocker, suffix: str):
    """A copy of the migrated test database for a worker: yields ``(name, url)``."""
    with django_db_blocker.unblock():
        from tests import reference_data

        if reference_data.flushed():  # a transactional test ran before: put the migrations' rows back
            reference_data.restore()
        template = connection.settings_dict["NAME"]
        db = connection.settings_dict
    name = f"{template}_{suffix}"
    connections.close_all()  # a template may have no other sessions
    admin = _connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    yield name, f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def worker_database(django_db_setup, django_db_blocker):
    yield from _copy_of_the_test_database(django_db_blocker, "worker")


@pytest.fixture(scope="session")
def reclaim_database(django_db_setup, django_db_blocker):
    """A copy of its own for the re-claim test: its first night starts from an empty book."""
    yield from _copy_of_the_test_database(django_db_blocker, "reclaim")


@pytest.fixture
def worker_queue(worker_database):
    env = {"DATABASE_URL": worker_database[1], "NIGHTLY_CHUNK_CLIENTS": "4"}
    with running_worker("test-nightly", env) as (queue, _output):
        yield queue


@pytest.mark.alone  # a real worker's chain of chunks: in the parallel run it shared 2 cores with 3 processes
def test_a_real_worker_runs_the_whole_chain_with_its_chunks(db, worker_database, worker_queue, tmp_path):
    folder = write_extract(tmp_path, trading_days(DAY, 20))
    nightly_run.apply_async(
        kwargs={"day": DAY.isoformat(), "extract": str(folder), "queue": worker_queue}, queue=worker_queue
    )

    copy = _connect(worker_database[0])
    copy.autocommit = True
    status, deadline = None, time.monotonic() + DEADLINE
    with copy.cursor() as cursor:
        while status in (None, "running") and time.monotonic() < deadline:
            time.sleep(0.5)
            cursor.execute("SELECT status, error, chunks_expected, id FROM nightly_nightlyrun WHERE date = %s", [DAY])
            row = cursor.fetchone()
            status = row[0] if row else None
        assert status == "published", row
        cursor.execute("SELECT count(*) FROM nightly_nightlychunk WHERE run_id = %s AND done", [row[3]])
        assert cursor.fetchone()[0] == row[2] == 4  # 15 clients, 4 per chunk
        cursor.execute("SELECT count(*) FROM clients_client WHERE segmented_on = %s", [DAY])
        assert cursor.fetchone()[0] == 15
        cursor.execute(
            "SELECT c.client_no, a.kind FROM advisors_alert a JOIN clients_client c ON c.id = a.client_id "
            "WHERE a.kind IN ('maturity', 'large_outflow') ORDER BY 1, 2"
        )
        # Only tonight is snapshotted here, so outflows count by amount alone: 500,000 and 620,000 yuan.
        expected = [("BIGWD", "large_outflow"), ("CHURNER", "large_outflow"), *[("MATURES", "maturity")] * 3]
        assert cursor.fetchall() == expected
    copy.close()


RECLAIM = """
import sys
import django

django.setup()
from nightly.tasks import run

print(run(day=sys.argv[1], extract=sys.argv[2], queue=sys.argv[3]))
"""


@pytest.mark.alone
def test_a_chunk_of_a_chain_whose_run_was_claimed_again_writes_nothing_and_the_new_chain_publishes(
    db, reclaim_database, tmp_path
):
    """A chunk of the first chain is held mid-transaction (a lock on the segment history it
    writes) while the run's lease runs out and another process claims the date again and sends
    a new chain. Released, the old chunk finds the token changed and rolls back, the old
    chain's other chunks stop at once, and the new chain publishes the whole night."""
    folder = write_extract(tmp_path, trading_days(DAY, 20))
    name, url = reclaim_database
    watch, blocker = _connect(name), _connect(name)
    watch.autocommit = True
    with blocker.cursor() as cursor:  # held until the rollback below
        cursor.execute("LOCK TABLE clients_segmentchange IN SHARE MODE")
    env = {"DATABASE_URL": url, "NIGHTLY_CHUNK_CLIENTS": "4"}
    with running_worker("test-reclaim", env) as (queue, output), watch.cursor() as cursor:
        nightly_run.apply_async(kwargs={"day": DAY.isoformat(), "extract": str(folder), "queue": queue}, queue=queue)
        waiting, deadline = 0, time.monotonic() + DEADLINE
        while not waiting and time.monotonic() < deadline:
            time.sleep(0.2)
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = 'clients_segmentchange'::regclass AND NOT granted"
            )
            waiting = cursor.fetchone()[0]
        assert waiting, "no chunk reached the segment history"
        cursor.execute("SELECT id, token, steps ? 'plan' AND steps ? 'activity_facts' FROM nightly_nightlyrun")
        run_id, old_token, planned = cursor.fetchone()
        assert planned  # the waiting session is a chunk: the plan and the facts are in

        cursor.execute(
            "UPDATE nightly_nightlyrun SET lease_until = now() - interval '1 minute' WHERE id = %s", [run_id]
        )
        reclaim = subprocess.run(
            [sys.executable, "-c", RECLAIM, DAY.isoformat(), str(folder), queue],
            cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert reclaim.returncode == 0 and reclaim.stdout.split()[-1] == str(run_id), reclaim.stderr
        blocker.rollback()  # the old chunk goes on, to its commit

        status, deadline = "running", time.monotonic() + DEADLINE
        while status == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            cursor.execute(
                "SELECT status, error, token, attempts, steps FROM nightly_nightlyrun WHERE id = %s", [run_id]
            )
            status, error, token, attempts, steps = cursor.fetchone()
        assert status == "published", error
        assert token != old_token and attempts == 2
        # The new chain's chunks found every client still to segment: the old chunk's writes were rolled back.
        assert steps["segmentation"]["rows"]["clients_updated"] == 15
        cursor.execute(
            "SELECT index, rows->>'clients_updated' FROM nightly_nightlychunk WHERE run_id = %s AND done", [run_id]
        )
        assert sorted(cursor.fetchall()) == [(0, "4"), (1, "4"), (2, "4"), (3, "3")]
        cursor.execute(
            "SELECT c.client_no, a.kind FROM advisors_alert a JOIN clients_client c ON c.id = a.client_id "
            "WHERE a.kind IN ('maturity', 'large_outflow') ORDER BY 1, 2"
        )
        assert cursor.fetchall() == [
            ("BIGWD", "large_outflow"),
            ("CHURNER", "large_outflow"),
            *[("MATURES", "maturity")] * 3,
        ]
    watch.close()
    blocker.close()
    stale = [line for line in output[0].splitlines() if "claimed again" in line and "stopped without writing" in line]
    assert len(stale) == 4, output[0]  # the held chunk, then the old chain's three other chunks
