"""The nightly chain on a real Celery worker consuming from the real Redis.

The worker is another process, so it cannot see the test's uncommitted data: it works on a
copy of the test database made for this session (``CREATE DATABASE … TEMPLATE``), which is
dropped afterwards — the test database itself is never written outside a test transaction.
The test sends the scheduled entry point, ``nightly.run``, with the extract to import, and
reads the outcome from the copy.
"""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.db import connection, connections

from clients.segmentation import trading_days
from nightly.tasks import run as nightly_run
from tests.celery_worker import running_worker
from tests.nightly.book import DAY, write_extract

pytestmark = pytest.mark.services


def _connect(name: str):
    db = connection.settings_dict
    return psycopg2.connect(
        dbname=name, user=db["USER"], password=db.get("PASSWORD") or None, host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )  # fmt: skip


@pytest.fixture(scope="session")
def worker_database(django_db_setup, django_db_blocker):
    """A copy of the migrated test database for the worker: ``(name, url)``."""
    with django_db_blocker.unblock():
        from tests import reference_data

        if reference_data.flushed():  # a transactional test ran before: put the migrations' rows back
            reference_data.restore()
        template = connection.settings_dict["NAME"]
        db = connection.settings_dict
    name = f"{template}_worker"
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


@pytest.fixture
def worker_queue(worker_database):
    env = {"DATABASE_URL": worker_database[1], "NIGHTLY_CHUNK_CLIENTS": "4"}
    with running_worker("test-nightly", env) as (queue, _output):
        yield queue


def test_a_real_worker_runs_the_whole_chain_with_its_chunks(db, worker_database, worker_queue, tmp_path):
    folder = write_extract(tmp_path, trading_days(DAY, 20))
    nightly_run.apply_async(
        kwargs={"day": DAY.isoformat(), "extract": str(folder), "queue": worker_queue}, queue=worker_queue
    )

    copy = _connect(worker_database[0])
    copy.autocommit = True
    status, deadline = None, time.monotonic() + 120
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
