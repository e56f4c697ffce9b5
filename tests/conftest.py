"""Shared fixtures. Services: tests marked ``services`` need Redis; they are skipped when
REDIS_URL is unset, and under REQUIRE_SERVICES=1 (CI) a missing service fails instead."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests import factories, shared_rows

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Property tests check what the code decides, never how long it takes: Hypothesis's default
# 200 ms deadline per example failed a pure-logic test on a machine busy with other work.
hypothesis_settings.register_profile("crm", deadline=None)
hypothesis_settings.load_profile("crm")


def pytest_configure(config):
    if REQUIRE_SERVICES:
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise pytest.UsageError(f"REQUIRE_SERVICES=1 but {', '.join(missing)} not set")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # pytest-xdist (``make test`` runs two workers): each has its own test database
        # (pytest-django's ``_gw0`` suffix), Celery queue (``tests.celery_worker``) and, here,
        # its own keys in the shared Redis cache.
        from django.conf import settings

        settings.CACHES["default"]["KEY_PREFIX"] = f"test-{worker}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """After pytest-django's ordering: tests sharing rows are grouped (``tests.shared_rows``)."""
    shared_rows.group_by_blueprint(items)
    if os.environ.get("REDIS_URL"):
        return
    skip = pytest.mark.skip(reason="needs REDIS_URL (set REQUIRE_SERVICES=1 to make this a failure)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_signin_throttle(monkeypatch):
    """Isolation, not speed: the sign-in throttle counts in the cache (Redis when REDIS_URL is
    set), which outlives each test's transaction; a key prefix of its own per test keeps one
    test's failed sign-ins from throttling the next."""
    import uuid

    from core import signin_throttle

    monkeypatch.setattr(signin_throttle, "KEY_PREFIX", f"signin-throttle-test-{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def fresh_authz_generation():
    """Isolation: users' cached roles and permissions (core.authz_cache) outlive each test's
    transaction, and a rollback sends no signal — a test that changed a shared user's groups
    must not hand its facts to the next. (Also: a new test database numbers users from 1 again.)
    Each test starts a generation of its own, as a deploy or any change to users would."""
    from core import authz_cache

    authz_cache.start_clean()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """A speed knob only: hashing with PBKDF2's full work factor dominates tests that log in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _shared_rows_manager(django_db_blocker):
    manager = shared_rows.SharedRows(django_db_blocker)
    yield manager
    manager.close()


@pytest.fixture
def _shared_rows(request, _shared_rows_manager):
    """First fixture of every test (``tests.shared_rows``): opens, keeps or rolls back the
    outer transaction holding the rows the test's blueprints build."""
    return shared_rows.prepare(request, _shared_rows_manager)


@pytest.fixture(scope="module")
def build_clock():
    """The clock shared rows are built under: the real one. A folder or module whose tests run
    on a pinned clock overrides this with the same clock (module-scoped, no ticking state kept)."""
    return contextlib.nullcontext


@pytest.fixture
def tree(request, db):
    """The org tree; a test that also uses ``world`` gets the world's."""
    if "world" in request.fixturenames:
        return request.getfixturevalue("world")[0].tree
    return factories.org_tree()


@pytest.fixture
def branch(tree):
    return tree["b1"]


@pytest.fixture
def client_record(branch):
    return factories.ClientFactory(branch=branch)


@pytest.fixture
def ops_user(db):
    return factories.ops_user()


def build_world():
    from tests import personas

    return personas.world(factories.org_tree())


@pytest.fixture(scope="module")
def world_blueprint():
    return shared_rows.Shared("world", build_world)


@pytest.fixture
def world(db, world_blueprint, _shared_rows):
    """``(cast, clients)``: see ``tests.personas.world``. Built once for the consecutive tests
    of a module that use it (``tests.shared_rows``); each test gets its own copy."""
    return _shared_rows.rows(world_blueprint)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """A transactional test starts with the data migrations' rows, even after another
    transactional test flushed them (see ``tests.reference_data``)."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from tests import reference_data

        request.getfixturevalue("transactional_db")
        if reference_data.flushed():
            reference_data.restore()
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A reused test database (``--reuse-db``) may have been left flushed by the transactional
    tests of an earlier run: put the data migrations' rows back once, before any test."""
    from tests import reference_data

    with django_db_blocker.unblock():
        if reference_data.flushed():
            reference_data.restore()
