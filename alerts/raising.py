"""The one way alerts are raised and closed (docs/alerts.md).

Every raiser — the nightly rules (``nightly.rules``), suitability drift (nightly and at once
after an assessment or a re-rating), the ticket SLA escalation — names what holds as an
``AlertKey`` and goes through this module:

- ``raise_alerts`` inserts a set of alerts, idempotent by key: a key already present (open,
  closed or dismissed) is not raised again, and a concurrent run's row wins quietly;
- ``reconcile`` is the set-based raise-keep-close of one kind over the book (or a chunk of
  client ids): an alert still open for a (client, condition) that holds is kept; one whose
  condition no longer holds is closed; a condition without an alert is raised — unless an alert
  for it was raised within the kind's cool-down (a rerun adds nothing; an alert the advisor
  closed does not come back the next morning);
- ``close_alerts`` / ``close_for_clients`` / ``close_conditions`` close alerts whose cause has
  gone.

An alert stores its kind, its condition (a column: reconciling reads it, never parses the key)
and its parameters (``Alert.params``, rendered by ``alerts.texts`` in the reader's language).
Alerts go to the client's primary advisor (or the advisors the raiser names); a client
without one is counted as unassigned, not alerted.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from alerts.models import Alert
from core.bulk.frames import read_frame
from core.bulk.writes import chunks

ALIVE = (Alert.Status.OPEN, Alert.Status.SNOOZED)
# Conditions that name their own episode (a date, a year) are never raised twice: a year's look-back.
ONCE = 366
ROW_COLUMNS = ["client_id", "advisor_id", "condition", "severity", "params", "payload"]


@dataclass(frozen=True)
class AlertKey:
    """What makes an alert unique: its kind, its client, the condition that holds (a short
    stable text without ``:``, e.g. ``P001|2026-12-20|7`` for a product maturing in 7 days, or
    ``<product>|<assessment>|<rating>`` for a drifted holding) and, for the kinds whose same
    condition may come back after a cool-down, the day it was raised.

    Rendered to ``Alert.dedupe_key`` in one format, ``<kind>:<client>:<condition>[:<day>]``,
    and never parsed back: what the raising path needs is in the alert's columns."""

    kind: str
    client_id: int
    condition: str
    day: datetime.date | None = None

    def __post_init__(self) -> None:
        # 140 characters keep the rendered key within ``dedupe_key``'s 200.
        if not self.condition or ":" in self.condition or len(self.condition) > 140:
            raise ValueError(f"an alert condition is 1–140 characters without ':' (got {self.condition!r})")
        if self.kind not in Alert.Kind.values:
            raise ValueError(f"unknown alert kind {self.kind!r}")

    def __str__(self) -> str:
        parts = [self.kind, str(int(self.client_id)), self.condition]
        if self.day is not None:
            parts.append(self.day.isoformat())
        return ":".join(parts)


@dataclass(frozen=True)
class NewAlert:
    """One alert to raise: its key, to whom, how severe, its parameters (``alerts.texts``) and
    details for the API (``payload``)."""

    key: AlertKey
    advisor_id: int
    severity: str
    params: dict[str, Any]
    payload: dict[str, Any] = field(default_factory=dict)
    due_on: datetime.date | None = None  # default: the key's day, else today

    def build(self) -> Alert:
        due_on = self.due_on or self.key.day or timezone.localdate()
        return Alert(
            advisor_id=self.advisor_id,
            client_id=self.key.client_id,
            kind=self.key.kind,
            severity=self.severity,
            title="",
            reason="",
            due_on=due_on,
            params=self.params,
            payload={"condition": self.key.condition, "as_of": due_on.isoformat(), **self.payload},
            condition=self.key.condition,
            dedupe_key=str(self.key),
        )


def raise_alerts(alerts: Iterable[NewAlert], *, batch_size: int = 2000) -> int:
    """Insert the alerts whose key is new, ``batch_size`` at a time (one look-up and one insert
    per batch). Idempotent: a key already present — open, closed or dismissed — is left alone,
    and a row a concurrent run inserted first wins quietly. Returns how many were inserted."""
    unique: dict[str, NewAlert] = {}
    for alert in alerts:
        unique.setdefault(str(alert.key), alert)
    raised = 0
    for keys in chunks(list(unique), batch_size):
        existing = set(Alert.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        new = [unique[key].build() for key in keys if key not in existing]
        Alert.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run's row wins quietly
        raised += len(new)
    return raised


def close_alerts(alert_ids: Sequence[int]) -> int:
    """Close (status *done*, by no one, no note: ``alerts.texts.close_note`` says why in the
    reader's language) those of ``alert_ids`` still open or snoozed: their condition no longer
    holds. Returns how many were closed."""
    closed = 0
    now = timezone.now()
    for ids in chunks(list(alert_ids), 5000):
        closed += Alert.objects.filter(pk__in=ids, status__in=ALIVE).update(
            status=Alert.Status.DONE, closed_at=now, closed_by=None, close_note="", snoozed_until=None, updated_at=now
        )
    return closed


def close_for_clients(kind: str, client_ids: Iterable[int]) -> int:
    """Close the open alerts of ``kind`` on these clients at once, in one statement: their
    condition has changed (e.g. a contact was logged, so the last contact the alert names is no
    longer the last); the next reconciliation raises a new one if a new condition holds."""
    now = timezone.now()
    return Alert.objects.filter(kind=kind, client_id__in=list(client_ids), status__in=ALIVE).update(
        status=Alert.Status.DONE, closed_at=now, closed_by=None, close_note="", snoozed_until=None, updated_at=now
    )


def close_conditions(kind: str, client_id: int, condition_prefix: str) -> int:
    """Close the open alerts of ``kind`` on a client whose condition starts with
    ``condition_prefix`` (e.g. every escalation step of one ticket, once it is resolved)."""
    now = timezone.now()
    return Alert.objects.filter(
        kind=kind, client_id=client_id, condition__startswith=condition_prefix, status__in=ALIVE
    ).update(status=Alert.Status.DONE, closed_at=now, closed_by=None, close_note="", snoozed_until=None, updated_at=now)


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype=object) for column in ROW_COLUMNS})


def rows_frame(rows: list[dict]) -> pd.DataFrame:
    """A list of ``{client_id, advisor_id, condition, severity, params[, payload]}`` as the
    frame ``reconcile`` takes."""
    return pd.DataFrame(rows, columns=ROW_COLUMNS) if rows else empty_rows()


def alive_conditions(kind: str, client_range: tuple[int, int] | None = None, since: datetime.date | None = None):
    """The alerts of ``kind`` open or snoozed (and, with ``since``, any raised since that day):
    ``id, client_id, status, condition, due_on`` — read from the columns, never the key."""
    where, params = "kind = %s AND (status IN ('open', 'snoozed')", [kind]
    if since is not None:
        where += " OR due_on >= %s"
        params.append(since)
    where += ")"
    if client_range is not None:
        where += " AND client_id BETWEEN %s AND %s"
        params += list(client_range)
    return read_frame(
        f"SELECT id, client_id, status, condition, due_on FROM {Alert._meta.db_table} WHERE {where}",
        params,
        {"id": "int64", "client_id": "int64", "status": "str", "condition": "str"},
        dates=["due_on"],
    )


def reconcile(
    kind: str,
    day: datetime.date,
    rows: pd.DataFrame,
    *,
    describe: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    holds: set[tuple[int, str]] | None = None,
    cooldown_days: int | None = ONCE,
    client_range: tuple[int, int] | None = None,
    batch_size: int = 2000,
) -> dict[str, int]:
    """Raise, keep and close the alerts of ``kind`` on ``day`` (see the module docstring).

    ``rows`` has ``client_id``, ``advisor_id`` and ``condition`` for every condition that should
    have an alert today, plus ``severity``, ``params`` (and optionally ``payload``) — or those
    (and ``advisor_id``, when ``rows`` has none) come from ``describe``, called once with the
    rows to raise (a slice of ``rows``, its index kept), so parameters are worked out for the
    few alerts a night raises, not for the tens of thousands it keeps. ``holds`` is every
    (client, condition) that still holds (default: those of ``rows``); ``client_range`` limits
    the reconciliation to a chunk of client ids.

    ``cooldown_days``: the key carries the day, and a (client, condition) raised within that
    many days is not raised again. ``None``: the key carries no day — a condition is raised once,
    ever (a closed alert's key stays taken: the advisor has dealt with it).
    """
    since = None if cooldown_days is None else day - datetime.timedelta(days=cooldown_days)
    existing = alive_conditions(kind, client_range, since)
    alive: dict[tuple[int, str], int] = {}
    recent: set[tuple[int, str]] = set()
    since_ts = None if since is None else pd.Timestamp(since)
    for alert_id, client_id, status, condition, due_on in existing.itertuples(index=False, name=None):
        identity = (int(client_id), condition)
        if status in ALIVE:
            alive[identity] = int(alert_id)
        if since_ts is not None and due_on >= since_ts:
            recent.add(identity)
    identities = list(zip(rows["client_id"].astype(int).tolist(), rows["condition"].astype(str).tolist(), strict=True))
    wanted = set(identities)
    holds = wanted if holds is None else holds | wanted
    to_close = [alert_id for identity, alert_id in alive.items() if identity not in holds]
    fresh = rows.loc[np.array([i not in alive and i not in recent for i in identities], dtype=bool)]
    fresh = fresh[~fresh.duplicated(["client_id", "condition"])]
    # Advisors known up front: the unassigned are counted, not described. Otherwise ``describe``
    # names them (read for the few rows to raise only).
    advisors_known = "advisor_id" in rows.columns
    if advisors_known:
        unassigned = int(fresh["advisor_id"].isna().sum())
        fresh = fresh[fresh["advisor_id"].notna()]
    if describe is not None and not fresh.empty:
        identity = ["client_id", "advisor_id", "condition"] if advisors_known else ["client_id", "condition"]
        fresh = fresh[identity].join(describe(fresh))
    fresh = fresh.reindex(columns=ROW_COLUMNS)
    if not advisors_known:
        unassigned = int(fresh["advisor_id"].isna().sum())
        fresh = fresh[fresh["advisor_id"].notna()]
    key_day = None if cooldown_days is None else day
    new = [
        NewAlert(
            key=AlertKey(kind, int(row.client_id), str(row.condition), key_day),
            advisor_id=int(row.advisor_id),
            severity=row.severity,
            params=_mapping(row.params),
            payload=_mapping(row.payload),
            due_on=day,
        )
        for row in fresh.itertuples(index=False)
    ]
    raised = raise_alerts(new, batch_size=batch_size)
    closed = close_alerts(to_close)
    return {"raised": raised, "closed": closed, "kept": len(alive) - len(to_close), "unassigned": unassigned}


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
