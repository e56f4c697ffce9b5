"""SQL compiled once per process for the facts it is made of.

Building a queryset and compiling it cost Django 1–8 ms for the scoped queries (the scope's
rules, the ranking's expressions). Where the SQL is a pure function of a few facts — a user's
access profile, an action, a kind, the day — it is compiled once for them and kept; the data it
reads is read when it runs, so it cannot go stale. Used by ``core.access`` (a scope's subquery),
``workbench.dashboard`` (the ranked today list, the navigation badge) and
``workbench.alert_page`` (the alerts page's count and ids).

``CompiledQuery`` does the same for a queryset whose shape is fixed and whose values change with
every call (a client's id, the day): the client page's fifteen queries are each compiled once
per process and run with the client's id, and Django still makes the rows (model instances,
related objects, prefetches) as it would."""

from __future__ import annotations

import copy
import datetime
import threading
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connection, connections
from django.db.models import QuerySet

# The SQL of a query that can match nothing: Django raises ``EmptyResultSet`` rather than write
# one (a scope that holds no client is ``.none()``).
NOTHING = ("", ())


class Slot:
    """A parameter of compiled SQL given its value each time the SQL runs (``filled``): for a
    value that is neither an id nor a day, such as a list of ids (``alerts.ranking``'s chosen
    clients). Placed in a query as a ``RawSQL`` parameter."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


def filled(sql: tuple[str, tuple], **values: Any) -> tuple[str, tuple]:
    """``sql`` with each ``Slot`` among its parameters replaced by ``values[slot.name]``."""
    text, params = sql
    return text, tuple(values[param.name] if isinstance(param, Slot) else param for param in params)


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

    def get(self, key: Hashable | None, compile: Callable[[], Any]) -> Any:
        """``compile()``'s value, kept for ``key``; made each time for ``None``."""
        if key is None:
            return compile()
        value = self._store.get(key, _MISSING)
        if value is _MISSING:
            if len(self._store) >= self.kept:
                self._store.clear()
            value = self._store[key] = compile()
        return value

    def sql(self, key: Hashable | None, build: Callable[[], QuerySet]) -> tuple[str, tuple]:
        """``build()``'s SQL (``sql_of``), compiled once for ``key``; each time for ``None``."""
        return self.get(key, lambda: sql_of(build()))

    def __len__(self) -> int:
        return len(self._store)


_MISSING = object()


class CompiledQuery:
    """``build(**values)``'s rows, its SQL compiled once per process.

    ``build`` is called once, with a stand-in for each value (a number or a day no real value
    takes); its SQL is compiled, the stand-ins found among the parameters, and every call
    runs that SQL with its own values in their places, through the compiler Django set up the
    first time (so the rows are what ``list(build(**values))`` gives: instances, ``select_related``
    objects, prefetches, ``values_list`` tuples). Everything else in ``build`` — filters on
    constants, ordering, a slice — is fixed in the SQL, so a value that shapes the query (a list
    whose length varies, a flag that adds a filter) must not be one of ``values``.

    It returns a list, never a queryset: a queryset chained further (``.filter``, ``.first``)
    would still run the SQL compiled before."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: tuple | None = None
        self._lock = threading.Lock()

    def rows(self, **values: Any) -> list:
        queryset, compiler, sql, params, slots = self._compiled or self._compile(values)
        params = list(params)
        for index, name in slots:
            params[index] = values[name]
        run = copy.copy(compiler)  # the set-up compiler, on this thread's connection
        run.connection = connections[queryset.db]
        run.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        chained = queryset._chain()
        chained.query.get_compiler = lambda *args, **kwargs: run
        return list(chained)

    def _compile(self, values: dict[str, Any]) -> tuple:
        with self._lock:
            if self._compiled is None:
                stand_ins = {name: _stand_in(value, n) for n, (name, value) in enumerate(values.items(), start=1)}
                queryset = self.build(**stand_ins)
                compiler = queryset.query.get_compiler(using=queryset.db)
                sql, params = compiler.as_sql()
                slots = [
                    (index, name)
                    for index, param in enumerate(params)
                    for name, stand_in in stand_ins.items()
                    if type(param) is type(stand_in) and param == stand_in
                ]
                missing = set(stand_ins) - {name for _index, name in slots}
                if missing:
                    raise ImproperlyConfigured(f"{self.build!r}: the SQL holds no parameter for {sorted(missing)}")
                self._compiled = (queryset, compiler, sql, tuple(params), tuple(slots))
        return self._compiled


def _stand_in(value: Any, n: int) -> Any:
    """A value of ``value``'s type that no real one takes (the n-th of a query's values)."""
    if isinstance(value, bool) or value is None:
        raise ImproperlyConfigured(f"CompiledQuery values are ids or days, not {value!r}")
    if isinstance(value, int):
        # Negative, as no id is, and within a 32-bit integer's range: Django finds that nothing
        # matches a value outside its column's range (auth_user.id is one) and writes no SQL.
        return -2_000_000_000 - n
    if isinstance(value, datetime.datetime):
        raise ImproperlyConfigured("CompiledQuery values are days, not moments")
    if isinstance(value, datetime.date):
        return datetime.date(1, 1, n)
    raise ImproperlyConfigured(f"CompiledQuery values are ids or days, not {value!r}")
