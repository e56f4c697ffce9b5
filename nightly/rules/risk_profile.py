"""``risk_profile_expiring``: the client's latest risk assessment expires within the window
(``expiring|<date>``, warning) or has expired (``expired|<date>``, critical: no purchase until
reassessed)."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile
from core import thresholds
from core.bulk.frames import read_frame
from suitability.models import RiskAssessment


def run(day: datetime.date, clients: pd.DataFrame) -> dict:
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    latest = read_frame(
        f"SELECT a.client_id, a.valid_until FROM {RiskAssessment._meta.db_table} a "
        f"JOIN (SELECT client_id, MAX(assessed_at) AS at FROM {RiskAssessment._meta.db_table} GROUP BY client_id) m "
        f"ON m.client_id = a.client_id AND m.at = a.assessed_at",
        (),
        {"client_id": "int64"},
        dates=["valid_until"],
    ).merge(clients, on="client_id")
    horizon = pd.Timestamp(day + datetime.timedelta(days=limits["risk_profile_expiring_days"]))
    due = latest[latest["valid_until"] <= horizon]
    expired = (due["valid_until"] < pd.Timestamp(day)).to_numpy()
    rows = pd.DataFrame(
        {
            "client_id": due["client_id"],
            "advisor_id": due["advisor_id"],
            "condition": np.where(expired, "expired|", "expiring|") + due["valid_until"].dt.strftime("%Y-%m-%d"),
        }
    )

    def describe(fresh: pd.DataFrame) -> pd.DataFrame:
        described = []
        for until, lapsed in zip(
            due.loc[fresh.index, "valid_until"].dt.date, expired[due.index.get_indexer(fresh.index)], strict=True
        ):
            values = {"valid_until": until.isoformat(), "expired": bool(lapsed)}
            described.append(
                {
                    "severity": Alert.Severity.CRITICAL if lapsed else Alert.Severity.WARNING,
                    "params": values,
                    "payload": values,
                }
            )
        return pd.DataFrame(described, index=fresh.index)

    return reconcile(Alert.Kind.RISK_PROFILE_EXPIRING, day, rows, describe=describe)
