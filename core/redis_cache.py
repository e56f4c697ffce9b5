"""Django's Redis cache, keeping one Redis client per connection pool.

Django's ``RedisCacheClient`` makes a new ``redis.Redis`` for every cache call; making one
builds its table of reply parsers (~0.2 ms of Python), and a signed-in request makes four to six
calls (the session, the permissions' generation, the access profile, the page's figures). A
``redis.Redis`` is safe to share between threads — each command takes a connection from the pool
and gives it back — so one per pool is kept. The pools are Django's, unchanged (one per cache
instance, and Django keeps one cache instance per thread).

``clear()`` deletes this cache's own keys (those under its ``KEY_PREFIX``), not the whole Redis
database as Django's does with ``FLUSHDB``: Celery's broker and results may share the database,
and so do other processes with prefixes of their own (the test workers)."""

from __future__ import annotations

import re

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient

    def clear(self):
        # Every key this cache writes is ``make_key``'s "<prefix>:<version>:<key>".
        client = self._cache.get_client(write=True)
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self.key_prefix) + ":*"  # the prefix taken literally
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
        return True
