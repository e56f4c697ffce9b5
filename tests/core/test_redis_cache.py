"""The Redis cache keeps one client per connection pool (core.redis_cache), and is Django's
cache otherwise: values written are read back, by this thread and by another."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.services  # needs REDIS_URL (a failure under REQUIRE_SERVICES=1)


def test_one_client_per_pool_and_the_cache_works_across_threads():
    cache = caches["default"]
    assert type(cache).__module__ == "core.redis_cache"
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client
    cache.set("redis-cache-test", {"n": 1}, 30)
    seen = []
    reader = threading.Thread(target=lambda: seen.append(caches["default"].get("redis-cache-test")))
    reader.start()
    reader.join()
    assert seen == [{"n": 1}] and cache.get("redis-cache-test") == {"n": 1}
    cache.delete("redis-cache-test")
    assert cache.get("redis-cache-test") is None


def test_clear_deletes_this_caches_keys_and_nothing_else_in_the_database():
    """Django's ``clear()`` flushes the whole Redis database: another process's cache (another
    test worker's), Celery's queues and results. Ours deletes the keys under its own prefix."""
    from django.conf import settings

    from core.redis_cache import RedisCache

    location = settings.CACHES["default"]["LOCATION"]
    mine = RedisCache(location, {"KEY_PREFIX": "clear-test[a]*"})
    theirs = RedisCache(location, {"KEY_PREFIX": "clear-test[a]*x"})
    raw = mine._cache.get_client(write=True)
    mine.set_many({f"k{i}": i for i in range(2500)}, 60)  # more than one batch of deletions
    mine.set("v", 1, 60, version=2)
    theirs.set("k1", "kept", 60)
    raw.set("celery-task-meta-clear-test", "kept", ex=60)
    try:
        assert mine.clear() is True
        assert mine.get("k1") is None and mine.get("k2499") is None and mine.get("v", version=2) is None
        assert theirs.get("k1") == "kept"
        assert raw.get("celery-task-meta-clear-test") == b"kept"
    finally:
        theirs.delete("k1")
        raw.delete("celery-task-meta-clear-test")
