"""Daily asset snapshots: per client and day, cash + market value of holdings, and the day's net
inflow — one set-based statement, no rows travel through Python.

Which clients: every client with an account. A client with accounts but no position and no
balance on the day gets a snapshot of zero (they hold nothing that day). A day on which the
book has no position and no balance at all is skipped: that means the extract did not come,
not that every client emptied their accounts.
"""

from __future__ import annotations

import datetime

from django.db import connection

from clients.models import Account, AssetSnapshot, CashBalance, CashFlow, Client, Position
from clients.partitions import ensure_months
from core.bulk.frames import aggregate_memory, distinct, scalar


def take_snapshots(day: datetime.date) -> dict:
    positions, balances = Position._meta.db_table, CashBalance._meta.db_table
    has_data = scalar(
        f"SELECT 1 WHERE EXISTS (SELECT 1 FROM {positions} WHERE as_of = %s) "
        f"OR EXISTS (SELECT 1 FROM {balances} WHERE as_of = %s)",
        [day, day],
    )
    if not has_data:
        return {"skipped": f"no positions or balances for {day}"}
    snapshot = AssetSnapshot._meta.db_table
    ensure_months([day], [snapshot])  # normally made before the import (``nightly.pipeline``)
    columns = ("total_assets", "cash", "securities", "net_inflow")
    changed = " OR ".join(distinct(f"{snapshot}.{name}", f"EXCLUDED.{name}") for name in columns)
    # The usual night writes a day the table does not hold yet: a plain insert then, without the
    # speculative insertion ON CONFLICT makes for every row. A rerun merges what changed.
    held = scalar(f"SELECT 1 WHERE EXISTS (SELECT 1 FROM {snapshot} WHERE as_of = %s)", [day])
    merge = (
        f"""
        ON CONFLICT (client_id, as_of) DO UPDATE SET
            total_assets = EXCLUDED.total_assets, cash = EXCLUDED.cash,
            securities = EXCLUDED.securities, net_inflow = EXCLUDED.net_inflow
        WHERE {changed}
    """
        if held
        else ""
    )
    sql = f"""
        INSERT INTO {snapshot} (client_id, as_of, total_assets, cash, securities, net_inflow)
        SELECT c.id, %s,
               COALESCE(p.value, 0) + COALESCE(b.cash, 0), COALESCE(b.cash, 0), COALESCE(p.value, 0),
               COALESCE(f.net, 0)
        FROM {Client._meta.db_table} c
        LEFT JOIN (SELECT client_id, SUM(market_value) AS value FROM {positions}
                   WHERE as_of = %s GROUP BY client_id) p ON p.client_id = c.id
        LEFT JOIN (SELECT client_id, SUM(cash) AS cash FROM {balances}
                   WHERE as_of = %s GROUP BY client_id) b ON b.client_id = c.id
        LEFT JOIN (SELECT client_id, SUM(CASE WHEN direction = 'in' THEN amount ELSE -amount END) AS net
                   FROM {CashFlow._meta.db_table} WHERE flow_date = %s GROUP BY client_id) f ON f.client_id = c.id
        WHERE EXISTS (SELECT 1 FROM {Account._meta.db_table} a WHERE a.client_id = c.id)
        ORDER BY c.id
        {merge}
    """
    aggregate_memory()
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, day, day, day])
        written = cursor.rowcount
    return {"written": max(written, 0)}
