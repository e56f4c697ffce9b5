"""Server-side prepared statements for the queries a connection runs again and again.

PostgreSQL plans a query every time it receives one. The workbench's queries carry the user's
scope (``core.access``: a union of subqueries) and the ranking's expressions, and planning them
costs as much as running them: 0.5–3 ms a query, 3–6 ms of a page's 8–10 ms in the database.
A page runs the same few statements for every user — only the parameters differ — so the second
time a connection sees a ``SELECT`` (same SQL text, same parameter types) it is prepared
(``PREPARE``) and from then on executed by name (``EXECUTE``), and PostgreSQL keeps its plan.
This is what psycopg 3 does by itself (``prepare_threshold``); psycopg2 does not, so a database
execute wrapper does it (installed on every new connection by ``install``).

A ``SELECT`` without parameters is prepared too (a firm-wide list reads every row: its query
has none), as long as it comes with an empty list of them: Django's own queries do, and
psycopg2 then reads ``%%`` as ``%`` in it, as ``PREPARE`` is given it.

What it leaves alone:
- anything but a ``SELECT`` with a list of parameters, empty or not (writes, DDL, ``EXPLAIN``,
  ``COPY``, SQL sent with no list at all, whose ``%`` signs are its own);
- a server-side cursor (``QuerySet.iterator()``: ``DECLARE … CURSOR FOR`` takes a query, not an
  ``EXECUTE``) and ``executemany``;
- a connection whose queries are being recorded (``DEBUG``, ``assertNumQueries``,
  ``CaptureQueriesContext``): the record would show ``EXECUTE crm_7(…)`` instead of the query.

Parameters are declared with the type psycopg2 gives them as literals — an ``int`` is an
``integer`` (``bigint`` past its range), a date a ``date`` and so on — and ``unknown`` for text,
lists and ``NULL``, which PostgreSQL types from where they stand, as it types a quoted literal.
A statement PostgreSQL cannot prepare is run as it is, and never tried again in this process;
inside a transaction the attempt is fenced by a savepoint, so it cannot break the transaction.

Each connection keeps at most ``KEPT`` statements (the least recently used is deallocated). A
``PREPARE`` lasts as long as its connection, whatever happens to transactions. Behind a pooler
in transaction mode (PgBouncer before 1.21) connections are shared between clients and prepared
statements do not carry over: set ``DB_PREPARED_STATEMENTS=0`` there.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections import OrderedDict

from django.conf import settings
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

KEPT = 256  # prepared statements per connection
SEEN_KEPT = 2048  # statements seen once per connection, waiting for a second sighting
_PLACEHOLDER = re.compile(r"%([s%])")
_SELECT = re.compile(r"\s*\(?\s*SELECT\b", re.IGNORECASE)
_unpreparable: set[str] = set()  # SQL PostgreSQL refused to prepare (this process)


def _pg_type(value) -> str:
    """The type psycopg2's literal for ``value`` has in PostgreSQL (``unknown``: typed by its
    place in the query, as a quoted literal is)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):  # as PostgreSQL types a literal of its digits
        if -(2**31) <= value < 2**31:
            return "integer"
        return "bigint" if -(2**63) <= value < 2**63 else "numeric"
    if isinstance(value, datetime.datetime):
        return "timestamptz" if value.tzinfo is not None else "timestamp"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, datetime.time):
        return "time"
    if isinstance(value, datetime.timedelta):
        return "interval"
    if isinstance(value, decimal.Decimal | float):
        return "numeric"
    if isinstance(value, uuid.UUID):
        return "uuid"
    if isinstance(value, list) and all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        return "bigint[]"  # ids (``core.compiled.Slot``): psycopg2 writes ARRAY[…], or '{}' for none
    return "unknown"


def _numbered(sql: str) -> str:
    """``%s`` placeholders as ``$1 … $n`` (``%%`` back to ``%``)."""
    counter = 0

    def number(match: re.Match) -> str:
        nonlocal counter
        if match.group(1) == "%":
            return "%"
        counter += 1
        return f"${counter}"

    return _PLACEHOLDER.sub(number, sql)


class _Statements:
    """One connection's prepared statements: (sql, parameter types) -> name."""

    def __init__(self) -> None:
        self.prepared: OrderedDict[tuple, str] = OrderedDict()
        self.seen: OrderedDict[tuple, None] = OrderedDict()
        self.counter = 0


def _prepared_execute(execute, sql, params, many, context):
    connection = context["connection"]
    statements = getattr(connection, "_crm_statements", None)
    if (
        statements is None
        or many
        or not isinstance(params, list | tuple)  # None: the SQL is sent as written, ``%`` and all
        or connection.queries_logged
        or sql in _unpreparable
        or not _SELECT.match(sql)
        or getattr(context["cursor"].cursor, "name", None)  # a server-side cursor
    ):
        return execute(sql, params, many, context)
    types = tuple(_pg_type(value) for value in params)
    key = (sql, types)
    name = statements.prepared.get(key)
    if name is None:
        if key not in statements.seen:
            statements.seen[key] = None
            if len(statements.seen) > SEEN_KEPT:
                statements.seen.popitem(last=False)
            return execute(sql, params, many, context)
        name = _prepare(connection, context["cursor"].cursor, statements, key)
        if name is None:
            return execute(sql, params, many, context)
    else:
        statements.prepared.move_to_end(key)
    arguments = f" ({', '.join(['%s'] * len(params))})" if params else ""
    return execute(f"EXECUTE {name}{arguments}", params, many, context)


def _prepare(connection, cursor, statements: _Statements, key: tuple) -> str | None:
    sql, types = key
    statements.seen.pop(key, None)
    statements.counter += 1
    name = f"crm_{statements.counter}"
    declared = f" ({', '.join(types)})" if types else ""
    prepare = f"PREPARE {name}{declared} AS {_numbered(sql)}"
    fenced = connection.in_atomic_block or not connection.get_autocommit()
    try:
        if fenced:
            cursor.execute(f"SAVEPOINT crm_prepare; {prepare}; RELEASE SAVEPOINT crm_prepare")
        else:
            cursor.execute(prepare)
    except connection.Database.Error:
        if fenced:
            cursor.execute("ROLLBACK TO SAVEPOINT crm_prepare; RELEASE SAVEPOINT crm_prepare")
        _unpreparable.add(sql)
        return None
    statements.prepared[key] = name
    if len(statements.prepared) > KEPT:
        _old_key, old_name = statements.prepared.popitem(last=False)
        cursor.execute(f"DEALLOCATE {old_name}")
    return name


def _on_new_connection(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql" or not getattr(settings, "DB_PREPARED_STATEMENTS", True):
        return
    connection._crm_statements = _Statements()  # a new session: nothing prepared in it yet
    if _prepared_execute not in connection.execute_wrappers:
        # First, so that a wrapper added and removed later (``connection.execute_wrapper()``)
        # is popped off the end without taking this one with it.
        connection.execute_wrappers.insert(0, _prepared_execute)


def forget_all(**kwargs) -> None:
    """Deallocate every statement of the open connections (after ``migrate``: a statement
    prepared before a column changed type could no longer run)."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if getattr(connection, "_crm_statements", None) is not None and connection.connection is not None:
            with connection.connection.cursor() as cursor:
                cursor.execute("DEALLOCATE ALL")
            connection._crm_statements = _Statements()


def install() -> None:
    connection_created.connect(_on_new_connection, dispatch_uid="core.prepared")
    post_migrate.connect(forget_all, dispatch_uid="core.prepared.forget_all")
