"""``dormant``: a client who became dormant or sleeping today (not at their first
segmentation); condition ``dormant`` or ``sleeping``, so the alert stays open while they stay
so; cool-down ``alert_cooldown_days``. Called by segmentation's chunks."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile, rows_frame
from clients.models import Client
from core import thresholds

Stage = Client.LifecycleStage


def run(seg: pd.DataFrame, first_time: pd.Series, day: datetime.date, scope) -> dict:
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    dormant = seg["new_stage"] == Stage.DORMANT
    condition = np.where(dormant, "dormant", np.where(seg["new_sleeping"], "sleeping", ""))
    entered = ~first_time & (
        (dormant & (seg["lifecycle_stage"] != Stage.DORMANT)) | (seg["new_sleeping"] & ~seg["sleeping"].astype(bool))
    )
    rows = []
    for row, cond in zip(seg[entered].itertuples(index=False), condition[entered.to_numpy()], strict=True):
        rows.append(
            {
                "client_id": row.client_id,
                "advisor_id": row.advisor_id,
                "condition": cond,
                "severity": Alert.Severity.WARNING if cond == "dormant" else Alert.Severity.INFO,
                "params": {"state": cond, "assets": _cents(row.assets_now), "last_activity": last_activity(row)},
                "payload": {"state": cond},
            }
        )
    holds = {(int(c), str(k)) for c, k in zip(seg["client_id"], condition, strict=True) if k}
    return reconcile(
        Alert.Kind.DORMANT,
        day,
        rows_frame(rows),
        holds=holds,
        cooldown_days=limits["alert_cooldown_days"],
        client_range=scope,
    )


def last_activity(row) -> str | None:
    """The day of the client's last trade or cash flow (ISO), or None."""
    dates = [d for d in (row.last_trade, row.last_flow) if isinstance(d, pd.Timestamp) and not pd.isna(d)]
    return max(dates).date().isoformat() if dates else None


def _cents(value) -> int | None:
    return None if pd.isna(value) else int(round(value))
