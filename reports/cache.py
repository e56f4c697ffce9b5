"""The report pages' figures kept in the cache between requests, under the build they come from.

Everything a report reads from the aggregates (``reports.models``) changes only when the nightly
run (or a rebuild, ``refresh_day``) writes a day: that transaction deletes and re-inserts the
day's ``ReportDay`` row with a new ``refreshed_at``. So the newest built day, the newest build
time and the number of built days (``Build.version``, one query on the small ``ReportDay``
table) identify the aggregates' state: a rebuild of any day moves it on, and the next request
computes afresh under a new key. Nothing is invalidated by hand; old keys simply stop being read
and expire.

The key also holds:

- the generation of users, advisors and the org tree (``core.authz_cache``): the figures carry
  advisors' names and codes and units' names, which operations may change between two nightly
  runs, and an import of master data moves the generation on too;
- the language, for the words rendered into the rows;
- what the caller names: the slice (unit path, advisor), the period and its as-of days.
  Links (which carry the period's query string), sorting and formatting are applied to the
  cached rows on every request.

A user's scope is not in the key because it is checked before (``reports.scope``): a key
names a unit or advisor the view has already found inside the user's scope, and a slice's
figures are the same for everyone who may see it.

What is not cached here stays live on every request: the tickets after the last built day
(``pages.live_window``), the names of clients (lost clients, an advisor's book), the org units
and advisors of the level below (``figures.level_of``), the org tree's paths a migration matrix
is summed by.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import hashlib
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import get_language

from core import authz_cache
from reports.models import ReportDay

# Keys move on with every build; old ones expire on their own after this long.
TIMEOUT_SECONDS = 24 * 60 * 60
_MISSING = object()
# A request that finds another computing the same figure waits this long for it, looking every
# POLL_SECONDS; the claim to compute lapses after COMPUTE_SECONDS if its request dies.
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05
COMPUTE_SECONDS = 60
# The build the current request reads (set by the report views around their work): outside a
# request — the nightly run, the management commands, a test calling ``pages`` directly — nothing
# is cached.
_current: ContextVar[tuple | None] = ContextVar("reports_build", default=None)


@dataclass(frozen=True)
class Build:
    """The reports' reference day (the newest built day, or today when none is built) and the
    version of the aggregates."""

    reference: datetime.date
    built: bool
    version: tuple


def current_build() -> Build:
    """The newest built day and the aggregates' version: one query."""
    row = ReportDay.objects.aggregate(day=Max("day"), at=Max("refreshed_at"), days=Count("id"))
    version = (row["day"], row["at"].isoformat() if row["at"] else None, row["days"])
    if row["day"] is None:
        return Build(reference=timezone.localdate(), built=False, version=version)
    return Build(reference=row["day"], built=True, version=version)


def read_under(build: Build, user: Any) -> None:
    """From now until the end of the view (``per_request``), ``remember`` caches under
    ``build``'s version and the master data's generation (``core.authz_cache``)."""
    _current.set((build.version, authz_cache.generation(user)))


def per_request(view: Callable) -> Callable:
    """Run a report view in its own context, so the build it reads under ends with it."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return contextvars.copy_context().run(view, *args, **kwargs)

    return wrapper


def key(name: str, parts: tuple) -> str | None:
    """The cache key of ``name`` for ``parts`` under the current build, or None outside one."""
    current = _current.get()
    if current is None:
        return None
    digest = hashlib.sha256(repr((current, get_language(), parts)).encode()).hexdigest()
    return f"reports:{name}:{digest}"


def remember(name: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``'s value for ``parts`` under the current build: from the cache when it holds
    it, computed (and kept) otherwise. ``parts`` must name everything the value depends on
    besides the aggregates, the master data and the language."""
    cache_key = key(name, parts)
    if cache_key is None:
        return compute()
    value = cache.get(cache_key, _MISSING)
    if value is not _MISSING:
        return value
    # After a build every key is new, and a branch opens its reports at once: one request
    # computes a figure (the migration matrix takes seconds at 200,000 clients), the others
    # wait for it rather than compute the same thing side by side on the same cores.
    computing = f"{cache_key}:computing"
    if not cache.add(computing, 1, COMPUTE_SECONDS):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            value = cache.get(cache_key, _MISSING)
            if value is not _MISSING:
                return value
        return compute()  # the other request is taking too long (or died): do not hang on it
    try:
        value = compute()
        cache.set(cache_key, value, TIMEOUT_SECONDS)
    finally:
        cache.delete(computing)
    return value
