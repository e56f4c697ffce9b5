"""Which alerts the alerts page shows and in which order: how many there are (counted up to a
cap) and the ids of one page of them.

A page costs two queries before its rows are read: the capped count and the page's ids in the
order of the day (``alerts.ranking``). Both are scoped (the user's clients, the alerts they
work), and building and compiling them cost Django 10–15 ms of a page's work — more than
PostgreSQL spent running them. Their SQL is a pure function of a few facts: the user's access
profile, the advisor chosen, the status and kind asked for, the page, the day. So it is built
and compiled once per process for those facts (``core.compiled``), as the dashboard's ranked
list is, and run with the data as it is when it runs: it cannot go stale. One client's alerts
(``?client=``, the dashboard's "and N more") are built each time: too many keys to keep.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from alerts import ranking
from alerts.models import Alert, open_now, snoozed_now
from core import access, compiled

PAGE_SIZE = 50
COUNT_CAP = 10_000
ACTIVE = (Alert.Status.OPEN, Alert.Status.SNOOZED)

_compiled = compiled.CompiledOnce()


def chosen_alerts(user, scope, status: str, kind: str, client: str, today: datetime.date) -> QuerySet:
    """The alerts the page lists, unordered: the user's scope (``scope``, a
    ``workbench.dashboard.DashboardScope``), narrowed by status, kind and client."""
    alerts = Alert.objects.visible_to(user)
    if not scope.advisors:  # an advisor: their own alerts
        alerts = alerts.filter(advisor__user=user)
    elif scope.advisor is not None:
        alerts = alerts.filter(advisor=scope.advisor)
    # "Open" and "snoozed" as every count reads them (alerts.models.open_now): a snooze whose day
    # has come is open again, here as on the top bar and the dashboard.
    if status == Alert.Status.OPEN:
        alerts = alerts.filter(open_now(today))
    elif status == Alert.Status.SNOOZED:
        alerts = alerts.filter(snoozed_now(today))
    elif status in Alert.Status.values:
        alerts = alerts.filter(status=status)
    if kind in Alert.Kind.values:
        alerts = alerts.filter(kind=kind)
    if client.isdigit():
        alerts = alerts.filter(client_id=int(client))
    return alerts


class AlertPage:
    """One request's view of the list: ``count()`` then ``ids(number)``."""

    def __init__(self, user, scope, status: str, kind: str, client: str) -> None:
        self.user, self.scope, self.status, self.kind, self.client = user, scope, status, kind, client
        self.today = timezone.localdate()
        self._key = (
            None
            if client.isdigit()
            else (access.access_profile(user), scope.advisor.pk if scope.advisor else None, status, kind, self.today)
        )
        self._count: int | None = None

    @cached_property
    def alerts(self) -> QuerySet:
        """Built only when SQL is compiled: a page whose SQL is kept builds no queryset."""
        return chosen_alerts(self.user, self.scope, self.status, self.kind, self.client, self.today)

    def count(self) -> int:
        """How many, up to ``COUNT_CAP + 1`` ("10,000+"): counting a firm's 150,000 open alerts
        was a scan of all of them on every view of the page, and nobody pages past 200 pages.
        The count reads the alerts alone (the ranking's join to the clients is not needed)."""
        if self._count is None:
            capped = self._sql(("count", COUNT_CAP), lambda: self.alerts.order_by().values("pk")[: COUNT_CAP + 1])
            self._count = compiled.count(capped)
        return self._count

    def ids(self, number: int) -> list[int]:
        """The ids of page ``number`` (from 1), in the page's order."""
        bottom = (number - 1) * PAGE_SIZE
        wide = self.status in ACTIVE and self.count() > COUNT_CAP
        sql = self._sql(("ids", number, wide, PAGE_SIZE), lambda: self._page(bottom, number, wide))
        if wide:  # the page's clients, chosen first (``ranking.ClientsOfMany``, its SQL kept as the page's)
            steps = self._kept(
                ("of many", number, PAGE_SIZE),
                lambda: ranking.ClientsOfMany.of(self.alerts, number * PAGE_SIZE, self.today),
            )
            sql = compiled.filled(sql, chosen=steps.client_ids())
        return [pk for (pk,) in compiled.fetch(sql)]

    def _page(self, bottom: int, number: int, wide: bool) -> QuerySet:
        alerts = self.alerts
        if self.status not in ACTIVE:  # closed alerts: the most recently closed first
            order = alerts.order_by(F("closed_at").desc(nulls_last=True), "-pk")
            return order.values_list("pk", flat=True)[bottom : bottom + PAGE_SIZE]
        # The order of the day, as on the dashboard (alerts.ranking): clients by their best
        # alert, each client's alerts together. Page n holds alerts of the first n × 50 clients
        # in that order at most (each client has an alert, and a client's alerts come together):
        # only those clients' alerts are ranked, chosen as the dashboard chooses its today list
        # (a firm's 147,000 alerts: 0.25 s → 0.1 s). The order is computed over narrow rows
        # (ids and the few columns the score reads); only the page's 50 alerts are then read
        # whole (carrying every column through the window and the sort cost 2.7 s for compliance).
        chosen = ranking.chosen_clients() if wide else ranking.top_clients(alerts, number * PAGE_SIZE, self.today)
        order = ranking.ranked(alerts.filter(client_id__in=chosen), self.today)
        return order.values_list("pk", flat=True)[bottom : bottom + PAGE_SIZE]

    def _sql(self, part, build: Callable[[], QuerySet]) -> tuple[str, tuple]:
        # ``part`` names the page and the numbers its SQL holds (the page size, the cap).
        # (The scope's SQL holds the day it was built on, too: a share lasts until a date.)
        return _compiled.sql(self._part_key(part), build)

    def _kept(self, part, build: Callable[[], Any]) -> Any:
        return _compiled.get(self._part_key(part), build)

    def _part_key(self, part) -> tuple | None:
        return (*self._key, part) if self._key is not None else None
