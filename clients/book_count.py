"""How many clients the book holds, read from the count the database keeps (``clients``
migration 0021: every statement that inserts or deletes clients adds its change to
``clients_count``) instead of counting 200,000 rows on every page of a whole-book list.

Only a count of every client is read this way: a count with a filter, a join that could repeat
rows, a distinct, a grouping or a slice is counted by PostgreSQL as before."""

from __future__ import annotations

from django.db import connections
from django.db.models.sql import Query


def counts_every_client(query: Query) -> bool:
    """``query`` selects each client exactly once: no condition, no annotation (a join through
    a many-valued relation repeats clients), no distinct, grouping, combination, extra or slice."""
    return not (
        query.where
        or query.annotations
        or query.distinct
        or query.group_by is not None
        or query.combinator
        or query.extra
        or query.is_sliced
    )


def kept_count(using: str) -> int | None:
    """The sum of the kept changes, in this transaction's snapshot; ``None`` when nothing is kept
    (a database without the table's rows), which the caller answers with a COUNT."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT sum(n) FROM clients_count", [])  # an empty list: prepared (core.prepared)
        (total,) = cursor.fetchone()
    return int(total) if total is not None else None
