"""Rows built once and shared by consecutive tests, each test still isolated: Django's
``setUpTestData`` for pytest fixtures.

A *blueprint* (``Shared``) names a builder — the persona ``world``, the reports' ``book`` — and
the settings it is built under. A module-scoped fixture named ``<something>_blueprint`` offers
one; the function-scoped fixture the tests use (``world``, ``book``) asks ``shared.rows(...)``
for its value.

For a test that runs inside a transaction (pytest-django's ``db``), the rows are written once in
an outer transaction that stays open while the following tests use the same blueprints (the
tests of one module are grouped so that they follow each other, see ``group_by_blueprint``), and
each test runs in a savepoint of it that is rolled back — the same nesting as Django's
``TestCase`` class and test atomics. A test gets a deep copy of the built Python objects, so an
object changed in memory does not leak into the next test either. When a test needs other
blueprints or none, the outer transaction is rolled back first: a test never sees rows it did
not ask for.

A transactional test (``transactional_db``, ``live_server``, ``django_db(transaction=True)``)
commits, so it builds its own rows as before, under its own fixtures.

The build runs before the test's function-scoped fixtures, so what those would set while the
rows are written is given here instead: the fast password hasher, the blueprint's settings, and
the clock of the module (the module-scoped fixture ``build_clock``, which a folder or module
that pins its clock overrides).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BLUEPRINT_SUFFIX = "_blueprint"
FIXTURE = "_shared_rows"


@dataclass(frozen=True)
class Shared:
    """What to build (``build()`` returns the objects a test receives) and under which settings."""

    name: str
    build: Callable[[], Any]
    settings: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple:
        return (self.name, self.build.__module__, self.build.__qualname__, self.settings)

    def make(self) -> Any:
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS, **dict(self.settings)):
            return self.build()


def is_transactional(item: pytest.Item) -> bool:
    """pytest-django's own test of a transactional test (``_django_db_helper``)."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    names = getattr(item, "fixturenames", ())
    return any(name in names for name in ("transactional_db", "live_server", "django_db_reset_sequences"))


def uses_db(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or "db" in getattr(item, "fixturenames", ())


def blueprint_names(item: pytest.Item) -> tuple[str, ...]:
    return tuple(sorted(name for name in getattr(item, "fixturenames", ()) if name.endswith(BLUEPRINT_SUFFIX)))


class SharedRows:
    """The one open outer transaction and what was built in it."""

    def __init__(self, blocker):
        self.blocker = blocker
        self.key: tuple | None = None
        self.values: dict[str, Any] = {}
        self.atomic = None
        self.after_flush = False

    def use(self, key: tuple, blueprints: list[Shared], clock: Callable[[], AbstractContextManager]) -> None:
        if key == self.key:
            if connection.atomic_blocks != [self.atomic]:
                raise RuntimeError("the shared rows' transaction is no longer the only one open")
            return
        self.close()
        if not blueprints:
            return
        if connection.in_atomic_block:
            raise RuntimeError("shared rows must be built before any other transaction opens")
        with self.blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            try:
                with clock():
                    self.values = {blueprint.name: blueprint.make() for blueprint in blueprints}
            except BaseException:
                self.close()
                raise
        self.key = key

    def close(self) -> None:
        if self.atomic is not None:
            with self.blocker.unblock():
                transaction.set_rollback(True)
                self.atomic.__exit__(None, None, None)
        self.atomic, self.key, self.values = None, None, {}


class ForTest:
    """What one test was given: ``rows(blueprint)`` is a fresh copy of the shared objects, or,
    for a transactional test, objects built now."""

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def rows(self, blueprint: Shared) -> Any:
        if blueprint.name in self.values:
            return copy.deepcopy(self.values[blueprint.name])
        return blueprint.make()


def prepare(request: pytest.FixtureRequest, manager: SharedRows) -> ForTest:
    """Run first for every database test (``group_by_blueprint`` puts this fixture first)."""
    item = request.node
    if is_transactional(item):
        manager.close()
        manager.after_flush = True
        return ForTest({})
    if manager.after_flush and uses_db(item):
        # Only under pytest-xdist's file or scope distribution does a test in a transaction
        # follow a transactional one (which ends with a flush): put the migrations' rows back.
        request.getfixturevalue("django_db_setup")
        manager.close()
        with manager.blocker.unblock():
            from tests import reference_data

            if reference_data.flushed():
                reference_data.restore()
        manager.after_flush = False
    names = blueprint_names(item)
    if not names:
        manager.close()
        return ForTest({})
    blueprints = [request.getfixturevalue(name) for name in names]
    clock = request.getfixturevalue("build_clock")
    key = (tuple(blueprint.key for blueprint in blueprints), clock)
    if key != manager.key:
        request.getfixturevalue("django_db_setup")
    manager.use(key, blueprints, clock)
    return ForTest(manager.values)


def group_by_blueprint(items: list[pytest.Item]) -> None:
    """After pytest-django's ordering (tests in a transaction, then transactional ones, then the
    rest), put ``_shared_rows`` first in every test's fixtures, and inside each run of one
    module's tests put the tests without blueprints first, then those sharing the same
    blueprints together (stable: otherwise in the order written)."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and names[:1] != [FIXTURE]:
            if FIXTURE in names:
                names.remove(FIXTURE)
            names.insert(0, FIXTURE)
    ordered: list[pytest.Item] = []
    start = 0
    while start < len(items):
        path = items[start].nodeid.split("::")[0]
        end = start
        while end < len(items) and items[end].nodeid.split("::")[0] == path:
            end += 1
        run = items[start:end]
        ordered += sorted(run, key=lambda item: () if is_transactional(item) else blueprint_names(item))
        start = end
    items[:] = ordered
