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
