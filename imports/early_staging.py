"""Staging the trading files while they are parsed (PostgreSQL).

Parsing and validating a trading file is Python's work; copying it into a staging table and
resolving its account and product numbers to ids is the server's. One after the other, a
200,000-client night spent 4.5 s parsing the positions, 1.8 s checking that the account
numbers exist (every number sent as an array, for the positions and again for the balances),
then 3.6 s staging and resolving the positions. Here the staging runs in
a background thread on the import's own connection, inside its transaction, while the main
thread parses: Python and the server's process each use a core. And the check reads the
numbers the resolving join did not find instead of sending them all.

The staging is optimistic: a file's text is ``COPY``-ed as it is, before the parse has said it
is valid. It is used only when the parse finds the file clean — no problem, every row as wide
as the header, no blank line, no quote (``BulkParsed.text``), the text ``COPY``-ed verbatim by
the loader anyway. Otherwise it is dropped and the loader stages the validated rows itself. A
``COPY`` or a cast that fails (a value the parse will name) rolls back to a savepoint.

The main thread must not use the connection while a job runs: ``Stager.finish`` waits for them
all, and leaving the ``with`` block does too, even on an error, before the transaction ends.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import psycopg2
from django.db import connection

from imports import trading
from imports.errors import FileProblem

_SAVEPOINT = "extract_early_staging"


class Stager:
    """``with Stager(enabled) as stager: stager.submit(spec, text) … stager.finish()``. Jobs run
    one at a time, in the order submitted. Disabled (no trading file), it does
    nothing and ``finish`` returns nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.jobs: dict[str, Future] = {}
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Stager:
        if self.enabled:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                # The resolving join hashes every account: room for it in memory (the loader
                # sets the same). The references are held from here to the commit: an account
                # resolved now cannot be deleted or change hands before the rows are written,
                # other than by this import's own master files (``trading.fill_in``).
                cursor.execute("SET LOCAL work_mem = '256MB'")
                trading.hold_references(cursor)
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract-staging")
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def submit(self, spec: trading.TradingSpec, text: str) -> None:
        if self.pool is not None:
            self.jobs[spec.name] = self.pool.submit(_stage, connection.connection, spec, text)

    def finish(self) -> dict[str, trading.Prepared | None]:
        """Wait for every job; ``{file name: Prepared, or None where staging failed}``. An
        unexpected error in a job is raised here."""
        done = {name: job.result() for name, job in self.jobs.items()}
        self.jobs = {}
        return done


def _stage(raw_connection, spec: trading.TradingSpec, text: str) -> trading.Prepared | None:
    """Runs in the background thread, on the psycopg2 connection under Django's (the same
    session and transaction; psycopg2 serialises its use, and releases the GIL while the server
    works)."""
    with raw_connection.cursor() as cursor:
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            staged = trading.stage_text(spec, text, cursor)
            if staged is None:
                cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
                return None
            resolved = trading.resolve(spec, staged, cursor, keep_unresolved=True)
            unresolved = trading.unresolved_values(spec, resolved, cursor)
        except (psycopg2.Error, FileProblem):  # a malformed header, row or value: the parse reports it
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            return None
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    return trading.Prepared(resolved=resolved, unresolved=unresolved)
