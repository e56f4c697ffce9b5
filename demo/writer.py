"""Bulk writes for the demo generator: ``COPY``.

Tables are written column-wise (see ``columns``). The fact tables are encoded as
fixed-width COPY text and copied by a background thread on the same connection, so that the
database ingests one chunk while Python generates the next. During the load the loaded
tables' foreign keys, unique constraints and secondary indexes are dropped and rebuilt at the
end (validated, inside the same transaction) — PostgreSQL's own advice for populating a
database, and several times faster than checking and indexing row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from django.core.management.color import no_style
from django.db import connections, models

from demo.columns import Column, Stamps, can_encode_fixed, constant, encode_copy_text, to_python

COPY_READ_SIZE = 1 << 20


class Writer:
    """Writes whole columns into model tables and counts the rows per table."""

    def __init__(self, *, stamp: dt.datetime, using: str = "default"):
        self.connection = connections[using]
        self.stamp = stamp
        self.rows: Counter[str] = Counter()
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._abort = False
        self.rebuild_seconds: dict[str, float] = {}  # statement → seconds, from bulk_load

    # --- columns ---------------------------------------------------------------------------

    def _resolve(self, model: type[models.Model], columns: dict[str, Column]) -> tuple[list[str], list[Column]]:
        """Order the given columns as the table's, filling the ones not given from the model:
        timestamps get the run's stamp, other fields their default (or NULL / '')."""
        n = len(next(iter(columns.values())))
        given = dict(columns)
        names, cols = [], []
        for field in model._meta.local_concrete_fields:
            if field.generated:  # computed by the database (e.g. Client.assets_band)
                continue
            column = given.pop(field.attname, None)
            if column is None:
                column = given.pop(field.name, None)
            if column is None:
                if field.primary_key:
                    continue
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    column = Stamps(_stamp_array(self.stamp, n))
                else:
                    value = field.get_default()
                    if value is None and not field.null:
                        raise ValueError(f"{model.__name__}.{field.name}: no value given and no default")
                    column = constant(value, n, scale=getattr(field, "decimal_places", None))
            if len(column) != n:
                raise ValueError(f"{model.__name__}.{field.name}: {len(column)} values, expected {n}")
            names.append(field.column)
            cols.append(column)
        if given:
            raise ValueError(f"{model.__name__}: unknown columns {sorted(given)}")
        return names, cols

    # --- writing ---------------------------------------------------------------------------

    def write(self, model: type[models.Model], columns: dict[str, Column], *, background: bool = False) -> int:
        """Insert the rows; with ``background`` the COPY runs on the writer thread."""
        n = len(next(iter(columns.values())))
        self.rows[model._meta.label] += n
        if n == 0:
            return 0
        names, cols = self._resolve(model, columns)
        table = self.connection.ops.quote_name(model._meta.db_table)
        column_sql = ", ".join(self.connection.ops.quote_name(c) for c in names)
        if can_encode_fixed(cols):
            sql, data = f"COPY {table} ({column_sql}) FROM STDIN", encode_copy_text(cols)
        else:
            sql, data = f"COPY {table} ({column_sql}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", _csv(cols)
        if background:
            self._submit(sql, data)
        else:
            self.wait()
            with self.connection.cursor() as cursor:
                cursor.copy_expert(sql, io.BytesIO(data), COPY_READ_SIZE)
        return n

    def _submit(self, sql: str, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self.connection.ensure_connection()
            raw = self.connection.connection
            self._queue = queue.Queue(maxsize=4)
            self._thread = threading.Thread(target=self._copy_loop, args=(raw,), name="seed-copy", daemon=True)
            self._thread.start()
        self._queue.put((sql, data))

    def _copy_loop(self, raw) -> None:
        cursor = raw.cursor()
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None and not self._abort:
                    sql, data = item
                    cursor.copy_expert(sql, io.BytesIO(data), COPY_READ_SIZE)
            except BaseException as exc:  # handed to the main thread by wait()
                self._error = exc
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        """Block until the writer thread has copied everything; re-raise its error."""
        if self._queue is not None:
            self._queue.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the writer thread after it has copied what is queued (or skipped it, after an
        error). Must happen before the transaction ends: the thread uses its connection."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
            self._queue = None

    @contextmanager
    def session(self) -> Iterator[Writer]:
        """The span in which background copies may run; on an error the queued copies are
        dropped and the thread stopped before the exception reaches the transaction."""
        try:
            yield self
        except BaseException:
            self._abort = True
            self.close()
            raise
        self.close()
        if self._error is not None:
            raise self._error

    # --- table housekeeping ----------------------------------------------------------------

    def next_id(self, model: type[models.Model]) -> int:
        """The first free primary key (explicit ids let child rows be generated in memory)."""
        table = self.connection.ops.quote_name(model._meta.db_table)
        pk = self.connection.ops.quote_name(model._meta.pk.column)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")
            return int(cursor.fetchone()[0]) + 1

    def reset_sequences(self, model_list: list[type[models.Model]]) -> None:
        """After explicit ids: move the id sequences past them."""
        self.wait()
        with self.connection.cursor() as cursor:
            for sql in self.connection.ops.sequence_reset_sql(no_style(), model_list):
                cursor.execute(sql)

    def analyze(self, model_list: list[type[models.Model]]) -> None:
        with self.connection.cursor() as cursor:
            for model in model_list:
                cursor.execute(f"ANALYZE {self.connection.ops.quote_name(model._meta.db_table)}")

    @contextmanager
    def bulk_load(self, model_list: list[type[models.Model]], progress: Callable | None = None) -> Iterator[None]:
        """Drop the tables' foreign keys, unique constraints and secondary
        indexes for the load and rebuild them (validating every row) when it ends. Must run
        inside a transaction; on error the transaction's rollback restores everything.
        ``progress(total)`` makes a progress bar for the rebuild."""
        tables = [m._meta.db_table for m in model_list]
        with self.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events on these tables
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
                FROM pg_constraint c
                WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
                ORDER BY c.contype, c.conname
                """,
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                """
                SELECT t.relname, ix.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                JOIN pg_class t ON t.oid = i.indrelid
                JOIN pg_class ix ON ix.oid = i.indexrelid
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
                  )
                ORDER BY t.relname, ix.relname
                """,
                [tables],
            )
            # A partitioned table's index is defined ``ON ONLY`` the table, its partitions'
            # indexes attached one by one; rebuilt on the whole table, it builds them all.
            indexes = [
                (table, name, definition.replace(" ON ONLY ", " ON ")) for table, name, definition in cursor.fetchall()
            ]
            qn = self.connection.ops.quote_name
            for table, name, _definition, kind in constraints:
                if kind == "f":
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
            for table, name, _definition, kind in constraints:
                if kind == "u":
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
            for _table, name, _definition in indexes:
                cursor.execute(f"DROP INDEX {qn(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        self.wait()
        with self.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            rebuild = [f"ALTER TABLE {t} ADD CONSTRAINT {qn(n)} {d}" for t, n, d, kind in constraints if kind == "u"]
            rebuild += [definition for _table, _name, definition in indexes]
            rebuild += [f"ALTER TABLE {t} ADD CONSTRAINT {qn(n)} {d}" for t, n, d, kind in constraints if kind == "f"]
            bar = progress(len(rebuild)) if progress else None
            for statement in rebuild:
                started = time.perf_counter()
                cursor.execute(statement)
                self.rebuild_seconds[statement] = time.perf_counter() - started
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _stamp_array(stamp: dt.datetime, n: int) -> np.ndarray:
    return np.full(n, np.datetime64(stamp.astimezone(dt.UTC).replace(tzinfo=None), "s"))


def _csv(cols: list[Column]) -> bytes:
    values = [to_python(c) for c in cols]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in zip(*values, strict=True):
        writer.writerow(["\\N" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8")
