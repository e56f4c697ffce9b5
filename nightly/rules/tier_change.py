"""``tier_change``: an upgrade (not a client's first segmentation) with the 20-day average up
at least ``tier_upgrade_growth`` against ~90 days ago (or no assets then); condition the new
tier, so the alert stays open while the client holds it. Called by segmentation's chunks."""

from __future__ import annotations

import datetime

import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile, rows_frame
from core.choices import Tier

ORDER = [Tier.MASS, Tier.AFFLUENT, Tier.HIGH_NET_WORTH, Tier.ULTRA_HIGH_NET_WORTH]


def run(seg: pd.DataFrame, first_time: pd.Series, day: datetime.date, growth: float, scope) -> dict:
    """``seg``: the chunk's segmentation frame (``tier``, ``new_tier``, ``average`` and
    ``base_assets`` in cents); ``scope``: the chunk's client id range."""
    rank = {tier.value: position for position, tier in enumerate(ORDER)}
    old_rank = seg["tier"].map(rank).fillna(0)
    new_rank = seg["new_tier"].map(rank)
    base = seg["base_assets"].astype("Float64").astype("float64")
    grown = base.isna() | (base <= 0) | (seg["average"] >= base * (1 + growth))
    upgrades = seg[(new_rank > old_rank) & ~first_time & grown]
    rows = [
        {
            "client_id": row.client_id,
            "advisor_id": row.advisor_id,
            "condition": row.new_tier,
            "severity": Alert.Severity.INFO,
            "params": {"from": row.tier, "to": row.new_tier, "average": int(round(row.average))},
            "payload": {"from": row.tier, "to": row.new_tier, "average_assets": round(row.average / 100, 2)},
        }
        for row in upgrades.itertuples(index=False)
    ]
    holds = {(int(c), str(t)) for c, t in zip(seg["client_id"], seg["new_tier"], strict=True)}
    return reconcile(Alert.Kind.TIER_CHANGE, day, rows_frame(rows), holds=holds, cooldown_days=90, client_range=scope)
