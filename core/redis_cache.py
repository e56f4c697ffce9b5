"""Django's Redis cache, keeping one Redis client per connection pool.

Django's ``RedisCacheClient`` makes a new ``redis.Redis`` for every cache call; making one
builds its table of reply parsers (~0.2 ms of Python), and a signed-in request makes four to six
calls (the session, the permissions' generation, the access profile, the page's figures). A
``redis.Redis`` is safe to share between threads — each command takes a connection from the pool
and gives it back — so one per pool is kept. The pools are Django's, unchanged (one per cache
instance, and Django keeps one cache instance per thread)."""

from __future__ import annotations

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
