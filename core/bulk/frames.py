"""Set-based reads and writes for the nightly steps.

``read_frame`` runs one query into a DataFrame. It streams ``COPY (query) TO
STDOUT`` into ``pandas.read_csv`` with explicit dtypes — exact, about four times faster than
``pd.read_sql`` and a third of its memory; money is read as integer cents (``cents(expr)``), so
nothing is ever a float that should be a ``Decimal``. ``update_rows`` writes many rows' changed
columns: ``COPY`` into a temporary table and one ``UPDATE … FROM`` it (or, when a text column
holds an empty string, one ``UPDATE … FROM (VALUES …)`` per batch).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from django.db import connection, transaction

from core.bulk.writes import chunks, without_jit  # noqa: F401 (the nightly steps' import of it)

# PostgreSQL binds at most 65,535 parameters in one statement.
MAX_PARAMETERS = 60_000


def cents(expression: str) -> str:
    """SQL: a money expression as whole cents (BIGINT); exact for NUMERIC(…, 2)."""
    return f"CAST(ROUND({expression} * 100) AS BIGINT)"


def date_of(expression: str) -> str:
    """SQL: the date part of a timestamp (in the connection's time zone, UTC)."""
    return f"CAST({expression} AS DATE)"


def distinct(left: str, right: str) -> str:
    """SQL: ``left`` and ``right`` differ, NULLs compared as values."""
    return f"{left} IS DISTINCT FROM {right}"


def read_frame(sql: str, params: Sequence = (), dtypes: dict[str, str] | None = None, dates: Iterable[str] = ()):
    """One query into a DataFrame. ``dtypes``: pandas dtypes by column (``Int64`` for nullable
    integers); ``dates``: columns parsed as ``datetime64`` (NaT for NULL)."""
    dtypes = dict(dtypes or {})
    dates = list(dates)
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, list(params)).decode()
        buffer = io.StringIO()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buffer)
    buffer.seek(0)
    # Booleans arrive as t/f and strings as text: read both as strings, convert below.
    text_dtypes = {name: ("string" if kind in ("str", "bool") else kind) for name, kind in dtypes.items()}
    frame = pd.read_csv(buffer, dtype={**text_dtypes, **dict.fromkeys(dates, "string")})
    for name in dates:
        frame[name] = pd.to_datetime(frame[name].astype(object).where(frame[name].notna(), None), format="ISO8601")
    for name, kind in dtypes.items():
        if kind == "int64" and frame[name].dtype != np.int64:
            frame[name] = frame[name].fillna(0).astype("int64")
        elif kind == "bool" and frame[name].dtype != bool:
            frame[name] = frame[name].astype(object).map(lambda v: v in (True, "t", "true", 1, "1")).astype(bool)
        elif kind == "str":
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def aggregate_memory(megabytes: int = 256) -> None:
    """For the rest of the transaction, let PostgreSQL hash and sort whole-book aggregates in
    memory (the server default, 4 MB, makes a 200,000-group aggregate over 10M transactions
    spill to disk). ``SET LOCAL``: the night's transaction only."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{int(megabytes)}MB'")


def analyze(table: str) -> None:
    """Refresh the planner's statistics of ``table`` after a bulk write (a sample of 30,000
    rows: about a second whatever the table's size). A table just filled with a day the
    statistics have never seen is otherwise planned as if that day held a handful of rows: a
    million-row ``UPDATE … FROM`` of such a day ran for minutes as nested loops."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def scalar(sql: str, params: Sequence = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        row = cursor.fetchone()
    return row[0] if row else None


def update_rows(table: str, rows: pd.DataFrame, columns: dict[str, str], key: str = "id") -> int:
    """``UPDATE table SET column = new value`` for each row of ``rows`` (which has ``key`` and
    ``columns``); ``columns`` maps a column to its PostgreSQL type for the cast. Returns the
    number of rows sent; the caller sends only the rows that changed."""
    if rows.empty:
        return 0
    names = [key, *columns]
    if not _has_empty_text(rows[list(columns)]):
        return _update_rows_through_copy(table, rows[names], columns, key)
    settings = ", ".join(
        f"{name} = CAST(v.column{position + 2} AS {kind})" for position, (name, kind) in enumerate(columns.items())
    )
    values = [tuple(_plain(value) for value in record) for record in rows[names].itertuples(index=False, name=None)]
    size = max(1, min(5000, MAX_PARAMETERS // len(names) - 1))
    with connection.cursor() as cursor:
        for part in chunks(values, size):
            placeholders = ", ".join("(" + ", ".join(["%s"] * len(names)) + ")" for _ in part)
            key_cast = "CAST(v.column1 AS bigint)"
            cursor.execute(
                f"UPDATE {table} SET {settings} FROM (VALUES {placeholders}) AS v WHERE {table}.{key} = {key_cast}",
                [value for record in part for value in record],
            )
    return len(values)


def _has_empty_text(frame: pd.DataFrame) -> bool:
    """Whether a text column holds an empty string, which ``COPY``'s CSV would read as NULL."""
    # Text is ``object`` or, since pandas 3, the ``str`` dtype: both may hold "".
    return any(
        bool((frame[name] == "").any())
        for name in frame.columns
        if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name].dtype)
    )


def _update_rows_through_copy(table: str, rows: pd.DataFrame, columns: dict[str, str], key: str) -> int:
    """``update_rows``' usual way: the rows ``COPY``-ed into a temporary table, written as
    CSV by pandas, then one ``UPDATE … FROM`` it. The ``VALUES`` statements spent more time
    outside the update than in it: each value converted in Python, 40,000 parameters bound into
    one statement text, parsed and planned per 5,000 rows (≈ 0.2 s of a 0.54 s segmentation chunk
    of 5,000 clients, against 0.1 s for the update itself)."""
    stage = f"update_{table}"
    # Dropped at the end: the caller's transaction (a segmentation chunk) may call again.
    with transaction.atomic(), connection.cursor() as cursor:
        typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        cursor.execute(f"CREATE TEMP TABLE {stage} ({key} bigint, {typed}) ON COMMIT DROP")
        buffer = io.StringIO()
        # NULL (NaN, NaT, None) is an unquoted empty field; booleans True/False; dates as days.
        rows.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d")
        buffer.seek(0)
        cursor.copy_expert(f"COPY {stage} FROM STDIN WITH (FORMAT csv)", buffer)
        settings = ", ".join(f"{name} = s.{name}" for name in columns)
        cursor.execute(f"UPDATE {table} SET {settings} FROM {stage} s WHERE {table}.{key} = s.{key}")
        cursor.execute(f"DROP TABLE {stage}")
    return len(rows)


def insert_rows(table: str, rows: pd.DataFrame, conflict: Sequence[str], update: Sequence[str]) -> int:
    """``INSERT … VALUES … ON CONFLICT (conflict) DO UPDATE SET update`` for every row of
    ``rows`` (its columns are the table's), in multi-row statements: no model objects are
    built. Returns the number of rows sent."""
    if rows.empty:
        return 0
    names = list(rows.columns)
    values = [tuple(_plain(value) for value in record) for record in rows.itertuples(index=False, name=None)]
    size = max(1, min(5000, MAX_PARAMETERS // len(names) - 1))
    action = "DO UPDATE SET " + ", ".join(f"{name} = EXCLUDED.{name}" for name in update) if update else "DO NOTHING"
    with connection.cursor() as cursor:
        for part in chunks(values, size):
            placeholders = ", ".join("(" + ", ".join(["%s"] * len(names)) + ")" for _ in part)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {placeholders} "
                f"ON CONFLICT ({', '.join(conflict)}) {action}",
                [value for record in part for value in record],
            )
    return len(values)


def _plain(value):
    """A database parameter from a pandas cell: numpy scalars to Python, NaN/NaT to None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is pd.NA:
        return None
    return value
