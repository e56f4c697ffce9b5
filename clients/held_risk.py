"""``Client.held_risk``: the highest risk level of the products a client holds on the book's
latest position day, kept as a column so that "who holds R3 or above" is an index read rather
than a join of the day's positions (745,000 rows at 200,000 clients).

It changes only when one of its two inputs does, and each change refreshes it set-based in the
changing transaction (one ``UPDATE … FROM`` of the clients whose level changed):

- **the latest day's positions** — ``refresh_after_positions``, called by the positions import
  (``imports.trading``) after it has loaded or corrected a day: when the file names the book's
  latest day (a new day, or a correction of it), every client's level is recomputed from that
  day; a file of an older day changes nothing. A client without a position that day gets "".
- **a product's risk level** — a statement trigger on the products table (migration
  ``clients.0019_client_held_risk``) recomputes the holders of the products whose level the
  statement changed. A trigger rather than a call, because products lie beneath clients in the
  layers (the product admin and the products import cannot call this module without an upward
  import) and because every path that re-rates a product — the admin, the extract, the shell —
  must keep the column exact; like a cache, it is a copy of facts kept elsewhere.

``held_levels`` is the reference query both follow, for the tests and for a check by hand.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from clients.models import Client, Position
from core.compiled import CompiledQuery
from products.models import Product

CLIENTS, POSITIONS, PRODUCTS = Client._meta.db_table, Position._meta.db_table, Product._meta.db_table

# Each client holding anything on the day: the highest level of what they hold ('R1' < … < 'R5'
# compare as text). Shared by the refresh and the migration's backfill.
LEVELS_OF_DAY = f"""
    SELECT p.client_id, max(pr.risk_level) AS level
    FROM {POSITIONS} p JOIN {PRODUCTS} pr ON pr.id = p.product_id
    WHERE p.as_of = %(day)s AND p.quantity > 0
    GROUP BY p.client_id
"""

# Every client whose level differs from the day's: the day's holders with another level than
# their stored one, and the clients who held something before but nothing that day (""). The
# stored levels are read from the partial index ``client_held_risk`` alone (the table is wide:
# scanning it cost 0.3 s at 200,000 clients, twice).
CHANGES = f"""
    SELECT coalesce(day.client_id, before.id), coalesce(day.level, '')
    FROM ({LEVELS_OF_DAY}) day
    FULL JOIN (SELECT id, held_risk FROM {CLIENTS} WHERE held_risk <> '') before ON before.id = day.client_id
    WHERE before.held_risk IS DISTINCT FROM day.level
"""

# The changed clients only, found by primary key (a night changes a few hundred of 200,000).
UPDATE = f"""
    UPDATE {CLIENTS} c SET held_risk = changed.level
    FROM unnest(%(ids)s::bigint[], %(levels)s::varchar[]) AS changed(id, level)
    WHERE c.id = changed.id
"""


# How far back ``latest_position_day`` looks first: the partitions of the last month or two.
RECENT_DAYS = 40


def latest_position_day() -> datetime.date | None:
    """The book's latest position day: the day ``Client.held_risk`` describes.

    Looked for among the last ``RECENT_DAYS`` days and any later ones first, in every month
    only when those hold nothing (the same answer either way). The compliance queues ask on
    every page: a ``max`` over all 27 monthly partitions cost PostgreSQL about 1 ms to plan
    each time, where this query, with a parameter, is prepared once per connection
    (``core.prepared``) and reads the last partitions' index ends."""
    since = timezone.localdate() - datetime.timedelta(days=RECENT_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce((SELECT max(as_of) FROM {POSITIONS} WHERE as_of >= %s), "
            f"(SELECT max(as_of) FROM {POSITIONS}))",
            [since],
        )
        return cursor.fetchone()[0]


# A client's latest position day: first from their assets day on, then in every month. The day is
# a value the caller then gives to the day's query, which PostgreSQL plans for that month's
# partition alone; a day computed inside that query had it plan all 27 monthly partitions on
# every call (4 ms of a client page's 5.3, more than running it).
_CLIENT_DAY_SINCE = CompiledQuery(
    lambda client, since, until: (
        Position.objects.filter(client_id=client, as_of__gte=since, as_of__lte=until)
        .order_by("-as_of")
        .values_list("as_of", flat=True)[:1]
    )
)
_CLIENT_DAY = CompiledQuery(
    lambda client, until: (
        Position.objects.filter(client_id=client, as_of__lte=until)
        .order_by("-as_of")
        .values_list("as_of", flat=True)[:1]
    )
)


def client_position_day(client: Client, until: datetime.date = datetime.date.max) -> datetime.date | None:
    """The client's latest position day up to ``until``; None when they have none.

    Looked for from their assets day on first (``Client.assets_as_of``: nearly always that day,
    so one or two partitions are planned and read), in every month only when nothing is held
    since then (a client who sold everything): the same answer either way."""
    since = client.assets_as_of
    days = _CLIENT_DAY_SINCE.rows(client=client.pk, since=since, until=until) if since and since <= until else []
    days = days or _CLIENT_DAY.rows(client=client.pk, until=until)
    return days[0] if days else None


def refresh_after_positions(days: Iterable[datetime.date]) -> int:
    """After a positions file of ``days`` was merged (same transaction): when one of them is the
    book's latest day, bring every client's ``held_risk`` to it; returns how many changed. A
    file of older days only changes history, and returns 0 without a write."""
    latest = latest_position_day()
    if latest is None or latest not in set(days):
        return 0
    return refresh(latest)


def refresh(day: datetime.date) -> int:
    """Every client's ``held_risk`` from the positions of ``day``: which clients change (one
    query), then one ``UPDATE`` of those; returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(CHANGES, {"day": day})
        changed = cursor.fetchall()
        if not changed:
            return 0
        ids, levels = zip(*changed, strict=True)
        cursor.execute(UPDATE, {"ids": list(ids), "levels": list(levels)})
        return cursor.rowcount


def held_levels(day: datetime.date | None = None) -> dict[int, str]:
    """``{client id: highest level held}`` computed from the positions of ``day`` (default: the
    latest), the clients holding nothing left out — what ``held_risk`` must say."""
    day = day or latest_position_day()
    if day is None:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(LEVELS_OF_DAY, {"day": day})
        return dict(cursor.fetchall())
