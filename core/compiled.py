"""SQL compiled once per process for the facts it is made of.

Building a queryset and compiling it cost Django 1–8 ms for the scoped queries (the scope's
rules, the ranking's expressions). Where the SQL is a pure function of a few facts — a user's
access profile, an action, a kind, the day — it is compiled once for them and kept; the data it
reads is read when it runs, so it cannot go stale. Used by ``core.access`` (a scope's subquery),
``workbench.dashboard`` (the ranked today list, the navigation badge) and
``workbench.alert_page`` (the alerts page's count and ids)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

# The SQL of a query that can match nothing: Django raises ``EmptyResultSet`` rather than write
# one (a scope that holds no client is ``.none()``).
NOTHING = ("", ())


def sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    """``queryset``'s SQL and parameters, or ``NOTHING``."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return NOTHING


def fetch(sql: tuple[str, tuple]) -> list[tuple]:
    """The rows of ``sql`` (``(text, params)``); none for ``NOTHING``."""
    if sql == NOTHING:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*sql)
        return cursor.fetchall()


def count(sql: tuple[str, tuple]) -> int:
    """How many rows ``sql`` gives (a capped query: ``SELECT count(*)`` over its ``LIMIT``)."""
    if sql == NOTHING:
        return 0
    text, params = sql
    return fetch((f"SELECT count(*) FROM ({text}) AS counted", params))[0][0]


class CompiledOnce:
    """A bounded store: past ``kept`` entries it is emptied and fills again (keys hold the
    day, so yesterday's entries would otherwise stay for ever)."""

    def __init__(self, kept: int = 10_000) -> None:
        self.kept = kept
        self._store: dict = {}

    def get(self, key: Hashable, compile: Callable[[], Any]) -> Any:
        value = self._store.get(key, _MISSING)
        if value is _MISSING:
            if len(self._store) >= self.kept:
                self._store.clear()
            value = self._store[key] = compile()
        return value

    def sql(self, key: Hashable | None, build: Callable[[], QuerySet]) -> tuple[str, tuple]:
        """``build()``'s SQL (``sql_of``), compiled once for ``key``; each time for ``None``."""
        if key is None:
            return sql_of(build())
        return self.get(key, lambda: sql_of(build()))

    def __len__(self) -> int:
        return len(self._store)


_MISSING = object()
