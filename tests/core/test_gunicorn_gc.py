"""The web workers freeze what lives as long as they do out of the garbage collector's walks
(``gunicorn.conf.py``): once the application is loaded, and again once the first requests have
compiled what they keep."""

from __future__ import annotations

import gc

import pytest

from tests.core.test_error_pages import _gunicorn_conf


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_loaded_worker_freezes_what_it_holds(unfrozen):
    conf = _gunicorn_conf()
    assert gc.get_freeze_count() == 0
    conf.post_worker_init(worker=None)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the application's modules, models and settings

    kept = [[n] for n in range(5_000)]  # what the first requests compile and keep
    for _ in range(conf.WARM_REQUESTS - 1):
        conf.post_request(None, None, None, None)
    assert gc.get_freeze_count() == frozen
    conf.post_request(None, None, None, None)
    assert gc.get_freeze_count() >= frozen + len(kept)
    for _ in range(10):  # and never again
        conf.post_request(None, None, None, None)
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_how_a_worker_takes_connections_is_set_from_the_environment(monkeypatch):
    """Keep-alive and the connections a worker accepts: gunicorn's defaults unless told, the
    proxied setting (one request per thread, no keep-alive) when GUNICORN_* say so."""
    for name in ("GUNICORN_KEEPALIVE", "GUNICORN_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    conf = _gunicorn_conf()
    assert (conf.keepalive, conf.worker_connections) == (5, 1000)
    monkeypatch.setenv("GUNICORN_KEEPALIVE", "0")
    monkeypatch.setenv("GUNICORN_WORKER_CONNECTIONS", "2")
    conf = _gunicorn_conf()
    assert (conf.keepalive, conf.worker_connections) == (0, 2)
