"""Shared fixtures. Services: tests marked ``services`` need Redis; they are skipped when
REDIS_URL is unset, and under REQUIRE_SERVICES=1 (CI) a missing service fails instead."""

from __future__ import annotations

import os

import pytest

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    if REQUIRE_SERVICES:
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise pytest.UsageError(f"REQUIRE_SERVICES=1 but {', '.join(missing)} not set")


def pytest_collection_modifyitems(config, items):
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
def fast_password_hashing(settings):
    """A speed knob only: hashing with PBKDF2's full work factor dominates tests that log in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    return factories.org_tree()


@pytest.fixture
def branch(tree):
    return tree["b1"]


@pytest.fixture
def client_record(branch):
    return factories.ClientFactory(branch=branch)


@pytest.fixture
def ops_user(db):
    user = factories.UserFactory(username="ops", roles=["ops"])
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def world(tree):
    """``(cast, clients)``: see ``tests.personas.world``."""
    from tests import personas

    return personas.world(tree)


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
