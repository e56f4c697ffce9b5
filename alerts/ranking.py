"""The order of an advisor's day: which alerts to work first (docs/alerts.md, *The ranked list*).

One score per alert, an SQL expression the dashboard, the alerts page and the API annotate,
so the three show the same order and the database computes it over the whole scope in the
query that reads the page (a constant number of queries whatever the size of the book):

    score = severity + tier + assets + overdue

- **severity**: critical 40, warning 20, info 0 — a lapsed risk profile blocks every purchase;
- **tier** of the client: ultra high net worth 30, high net worth 20, affluent 10, mass 0;
- **assets**: 3 points per power of ten of the client's total assets (``Client.assets_band``,
  kept on the client row by the nightly run): ¥1万 12, ¥100万 18, ¥1亿 24;
- **overdue**: one point per day past the alert's due date, at most 30 — a month late weighs
  as much as a better tier, so the long-forgotten do not sink below the fresh.

A client's place is the score of their best alert; their other alerts (five drifted holdings)
fold into the same row, best first. Ties go to the client with more alerts, then the lower id,
so the order is stable from one page to the next.

The expression reads the client's tier and assets band from the alert's own row: the database
keeps a copy of both on every alert (``Alert.client_tier``, ``Alert.client_assets_band``,
``alerts`` migration 0008), so the open alerts of a scope are scored from the alerts' indexes
alone, without reading each alert's client.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, F, Func, IntegerField, Max, Q, QuerySet, Value, When, Window
from django.db.models.expressions import CombinedExpression, RawSQL
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from core import compiled
from core.choices import Tier

SEVERITY_POINTS = {"critical": 40, "warning": 20, "info": 0}
TIER_POINTS = {Tier.ULTRA_HIGH_NET_WORTH: 30, Tier.HIGH_NET_WORTH: 20, Tier.AFFLUENT: 10, Tier.MASS: 0}
POINTS_PER_ASSETS_BAND = 3
MAX_OVERDUE_POINTS = 30


def overdue_days(today: datetime.date | None = None) -> Func:
    """Days past the due date (0 when not yet due): ``today - due_on``, an integer in PostgreSQL."""
    today = today or timezone.localdate()
    late = Func(Value(today), F("due_on"), template="(%(expressions)s)", arg_joiner=" - ", output_field=IntegerField())
    return Greatest(late, Value(0), output_field=IntegerField())


def days_overdue(due_on: datetime.date, today: datetime.date | None = None) -> int:
    """``overdue_days`` for one alert already read (a row drawn alone, a page read by ids)."""
    return max(0, ((today or timezone.localdate()) - due_on).days)


def _points(field: str, points: dict) -> Case:
    return Case(
        *(When(Q(**{field: value}), then=Value(n)) for value, n in points.items() if n),
        default=Value(0),
        output_field=IntegerField(),
    )


def client_points() -> CombinedExpression:
    """The client's part of an alert's score (tier, and assets band), from the alert's copies.
    Also the key of the open alerts' index ``alert_open_client_points`` (``alerts.models``),
    which PostgreSQL uses where a query compares this very expression (``client_points_at_least``)."""
    return _points("client_tier", TIER_POINTS) + F("client_assets_band") * Value(POINTS_PER_ASSETS_BAND)


def alert_score(today: datetime.date | None = None) -> Func:
    """The score of an alert (module docstring) as an expression over ``Alert`` rows."""
    return (
        _points("severity", SEVERITY_POINTS)
        + client_points()
        + Least(overdue_days(today), Value(MAX_OVERDUE_POINTS), output_field=IntegerField())
    )


def with_score(alerts: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """``alerts`` annotated with ``score`` and ``overdue_days``."""
    return alerts.annotate(score=alert_score(today), overdue_days=overdue_days(today))


def ranked(alerts: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """``alerts`` in the order of the day: clients by their best alert's score, each client's
    alerts together, best first (``client_best`` is that client's best score)."""
    return (
        with_score(alerts, today)
        .annotate(client_best=Window(Max(alert_score(today)), partition_by=[F("client_id")]))
        .annotate(client_alerts=Window(Count("pk"), partition_by=[F("client_id")]))
        .order_by(F("client_best").desc(), F("client_alerts").desc(), "client_id", F("score").desc(), "due_on", "pk")
    )


def top_clients(alerts: QuerySet, limit: int, today: datetime.date | None = None) -> QuerySet:
    """The ids of the ``limit`` clients whose best alert scores highest (a subquery: one
    aggregate over the scope's alerts, sorted and cut in the database)."""
    return _best_clients(alerts, today).values("client_id")[:limit]


def _best_clients(alerts: QuerySet, today: datetime.date | None) -> QuerySet:
    """``(client_id, best, alerts)`` of the clients of ``alerts``, in the ranked order."""
    return (
        alerts.order_by()
        .values("client_id")
        # count(*): the alert columns the score reads are in the open alerts' index
        .annotate(best=Max(alert_score(today)), alerts=Count("*"))
        .order_by("-best", "-alerts", "client_id")
    )


# The most an alert adds to its client's points (severity and days overdue), and the client
# points (tier and assets band) ``ClientsOfMany`` tries first, highest first.
ALERT_POINTS_MAX = max(SEVERITY_POINTS.values()) + MAX_OVERDUE_POINTS
CLIENT_POINTS_TRIED = (54, 41, 28)


def client_points_at_least(alerts: QuerySet, points: int) -> QuerySet:
    """The alerts of ``alerts`` whose client has at least ``points`` points (``client_points``):
    a range of the index ``alert_open_client_points``, so a step reads only the open alerts of
    the few high-point clients (the firm's 1,430 of 150,000 at 41 points), not each client."""
    return alerts.alias(client_points=client_points()).filter(client_points__gte=points)


# The clients ``ClientsOfMany`` chose, as a subquery of the SQL that reads their alerts: its
# parameter is filled in when that SQL runs (``compiled.filled(sql, chosen=ids)``).
CHOSEN = compiled.Slot("chosen")


def chosen_clients() -> RawSQL:
    """``client_id__in=chosen_clients()``: the clients whose ids fill ``CHOSEN``."""
    return RawSQL("SELECT unnest(%s::bigint[])", (CHOSEN,))


@dataclass(frozen=True)
class ClientsOfMany:
    """``top_clients`` for a scope of many alerts (a firm's): the same clients, without reading
    every open alert.

    The aggregate over a firm's 150,000 open alerts reads and scores every one of them. But an
    alert scores at most its client's points plus ``ALERT_POINTS_MAX``; so when the ``limit``
    best clients among those with at least ``p`` points all score ``p + ALERT_POINTS_MAX`` or
    more, no client with fewer points can reach them, nor tie (they score at most
    ``p - 1 + ALERT_POINTS_MAX``), and the list is exact. ``client_ids`` runs a step for each of
    ``CLIENT_POINTS_TRIED`` in turn (the open alerts of a few hundred to a few thousand clients,
    a range of the points index) until one answers, then the whole scope's aggregate.

    The steps are separate queries, not one: as one query (each step a CTE, run only when the
    steps before it fell short) PostgreSQL planned it afresh on every run — its generic plan
    reads every alert — at about 5 ms, four times what the steps cost to run. Each step's SQL
    is compiled once (``of``) and kept by the callers for the facts it is made of."""

    limit: int
    steps: tuple[tuple[int, tuple[str, tuple]], ...]  # (client points, the step's SQL)
    whole: tuple[str, tuple]

    @classmethod
    def of(cls, alerts: QuerySet, limit: int, today: datetime.date | None = None) -> ClientsOfMany:
        def sql(chosen: QuerySet) -> tuple[str, tuple]:
            return compiled.sql_of(_best_clients(chosen, today).values_list("client_id", "best")[:limit])

        steps = tuple((points, sql(client_points_at_least(alerts, points))) for points in CLIENT_POINTS_TRIED)
        return cls(limit=limit, steps=steps, whole=sql(alerts))

    def client_ids(self) -> list[int]:
        """The chosen clients' ids, best first."""
        for points, sql in self.steps:
            rows = compiled.fetch(sql)
            if len(rows) == self.limit and min(best for _client, best in rows) >= points + ALERT_POINTS_MAX:
                return [client for client, _best in rows]
        return [client for client, _best in compiled.fetch(self.whole)]
