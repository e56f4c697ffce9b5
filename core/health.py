"""Liveness of the things the product cannot work without: the database and the broker."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any failure means "down"; the message helps the operator
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}


def broker_status() -> dict:
    """Ping Redis when a broker is configured; in-process mode has no broker to be down."""
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "in-process"}
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return {"ok": True, "mode": "redis"}
    except Exception as exc:
        return {"ok": False, "mode": "redis", "error": str(exc)[:200]}
