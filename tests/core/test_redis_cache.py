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
