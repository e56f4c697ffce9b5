"""``churn_risk``: a client whose churn score (``nightly.steps.churn``) is at or above
``churn_alert_score``; condition ``churn``, cool-down ``churn_cooldown_days``. The reason is
the rule's parts that count most, stored as codes and values (``alerts.texts.churn_part``)."""

from __future__ import annotations

import datetime

import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile, rows_frame


def reason_parts(row, cap_days: int) -> list[list]:
    """Why a client scores high: ``[[code, value], …]`` for the parts that count most."""
    parts: list[list] = []
    if row.outflow_30 >= 0.1:
        parts.append(["outflow_30", round(row.outflow_30 * 100)])
    elif row.outflow_90 >= 0.2:
        parts.append(["outflow_90", round(row.outflow_90 * 100)])
    if row.days_since_trade >= 30:
        if row.days_since_trade >= cap_days:
            parts.append(["no_trade_long", None])
        else:
            parts.append(["no_trade", int(row.days_since_trade)])
    if row.assets_drop >= 0.2:
        parts.append(["assets_drop", round(row.assets_drop * 100)])
    if row.days_since_contact >= 90:
        if row.days_since_contact >= cap_days:
            parts.append(["no_contact_long", None])
        else:
            parts.append(["no_contact", int(row.days_since_contact)])
    if row.complaints:
        parts.append(["complaints", int(row.complaints)])
    return parts


def run(day: datetime.date, high: pd.DataFrame, *, model: str, cooldown_days: int, cap_days: int) -> dict:
    """Raise, keep and close ``churn_risk`` for ``high`` (the clients scored at or above the
    threshold, with the features and ``score``)."""
    rows = [
        {
            "client_id": row.client_id,
            "advisor_id": row.advisor_id,
            "condition": "churn",
            "severity": Alert.Severity.CRITICAL if row.score >= 0.85 else Alert.Severity.WARNING,
            "params": {"score": round(row.score * 100), "reasons": reason_parts(row, cap_days)},
            "payload": {"score": float(row.score), "model": model},
        }
        for row in high.itertuples(index=False)
    ]
    return reconcile(Alert.Kind.CHURN_RISK, day, rows_frame(rows), cooldown_days=cooldown_days)
