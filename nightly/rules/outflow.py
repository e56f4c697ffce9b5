"""``large_outflow``: over the 30 days ending today, a net outflow of at least
``large_outflow_share`` of the assets at the window's start (the latest snapshot on or before
that day), or one outflow of at least ``large_outflow_amount``. Condition ``outflow``;
cool-down ``alert_cooldown_days``."""

from __future__ import annotations

import datetime

import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile, rows_frame
from clients.models import AssetSnapshot, CashFlow
from core import thresholds
from core.bulk.frames import cents, read_frame, scalar


def run(day: datetime.date, clients: pd.DataFrame) -> dict:
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    start = day - datetime.timedelta(days=30)
    out = cents("SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END)")
    into = cents("SUM(CASE WHEN direction = 'in' THEN amount ELSE 0 END)")
    largest = cents("MAX(CASE WHEN direction = 'out' THEN amount ELSE 0 END)")
    flows = read_frame(
        f"SELECT client_id, {out} AS outflow, {into} AS inflow, {largest} AS largest "
        f"FROM {CashFlow._meta.db_table} WHERE flow_date > %s AND flow_date <= %s GROUP BY client_id",
        [start, day],
        {"client_id": "int64", "outflow": "int64", "inflow": "int64", "largest": "int64"},
    )
    base_day = scalar(f"SELECT MAX(as_of) FROM {AssetSnapshot._meta.db_table} WHERE as_of <= %s", [start])
    # The assets at the window's start matter only to a client the rule may raise (the
    # alert's words and payload name them): a net outflow, or one large withdrawal.
    may_hit = (flows["outflow"] >= flows["inflow"]) | (flows["largest"] >= limits["large_outflow_amount"] * 100)
    base = assets_on(base_day, flows.loc[may_hit, "client_id"].tolist())
    frame = flows.merge(base, on="client_id", how="left").merge(clients, on="client_id")
    frame["base"] = frame["base"].fillna(0).astype("int64")
    net = frame["outflow"] - frame["inflow"]
    share = limits["large_outflow_share"]
    by_share = (frame["base"] > 0) & (net * 100 >= (frame["base"] * round(share * 100)))
    by_amount = frame["largest"] >= limits["large_outflow_amount"] * 100
    hit = frame[by_share | by_amount]
    rows = []
    for row in hit.itertuples(index=False):
        net_out = int(row.outflow - row.inflow)
        params = {
            "share": round(100 * net_out / row.base) if row.base > 0 and net_out > 0 else None,
            "net_outflow": net_out,
            "largest": int(row.largest) if row.largest >= limits["large_outflow_amount"] * 100 else None,
        }
        rows.append(
            {
                "client_id": row.client_id,
                "advisor_id": row.advisor_id,
                "condition": "outflow",
                "severity": Alert.Severity.WARNING,
                "params": params,
                "payload": {
                    "net_outflow": net_out / 100,
                    "largest": row.largest / 100,
                    "assets_at_start": row.base / 100,
                },  # fmt: skip
            }
        )
    return reconcile(Alert.Kind.LARGE_OUTFLOW, day, rows_frame(rows), cooldown_days=limits["alert_cooldown_days"])


def assets_on(day: datetime.date | None, client_ids: list[int]) -> pd.DataFrame:
    """``client_id, base``: total assets in cents on ``day`` of the clients given. One probe of
    the (client, day) key each — a book loaded client by client has a day's snapshots scattered
    over the whole table, and reading all of them took 4.3 s at 200,000 clients, against 0.3 s
    for the 11,500 clients with a net outflow through the ORM, and 0.05 s as one query with the
    ids as an array."""
    columns = {"client_id": "int64", "base": "int64"}
    if day is None or not client_ids:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})
    table = AssetSnapshot._meta.db_table
    return read_frame(
        f"SELECT client_id, {cents('total_assets')} AS base FROM {table} WHERE as_of = %s AND client_id = ANY(%s)",
        [day, list(client_ids)],
        columns,
    )
