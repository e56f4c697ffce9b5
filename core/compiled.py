"""SQL compiled once per process for the facts it is made of.

Building a queryset and compiling it cost Django 1–8 ms for the scoped queries (the scope's
rules, the ranking's expressions). Where the SQL is a pure function of a few facts — a user's
access profile, an action, a kind, the day — it is compiled once for them and kept; the data it
reads is read when it runs, so it cannot go stale. Used by ``core.access`` (a scope's subquery)
and ``workbench.dashboard`` (the ranked today list)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


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

    def __len__(self) -> int:
        return len(self._store)


_MISSING = object()
