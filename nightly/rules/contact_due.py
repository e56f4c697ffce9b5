"""``contact_due``: an active client whose last logged contact (``Client.last_contact_at``; a
client never contacted counts from the account's opening) is older than their tier's coverage
rule (``TierPolicy.contact_every_days``, *Tier policies* in the admin: by default ultra high net
worth 14 days, high net worth 30, affluent 90, mass 180 — the same rule as the dashboard's
"overdue for contact" list) plus the ``contact_due_grace_days`` threshold.

Condition ``since|<day of the last contact>`` (``never`` for a client never contacted): a new
contact changes it, so the nightly run closes the alert — and logging the contact closes it at
once (``clients.interactions``). A dismissed alert whose client is still not contacted comes back
after ``contact_due_cooldown_days``.
"""

from __future__ import annotations

import datetime

import pandas as pd
from django.conf import settings

from alerts.models import Alert
from alerts.raising import reconcile
from clients.models import Client, TierPolicy
from core import thresholds
from core.bulk.frames import read_frame


def run(day: datetime.date) -> dict:
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    grace = limits["contact_due_grace_days"]
    overdue = read_frame(
        f"""
        SELECT c.id AS client_id, c.primary_advisor_id AS advisor_id, c.tier, p.contact_every_days AS every,
               (c.last_contact_at AT TIME ZONE %s)::date AS last_contact, c.opened_on
          FROM {Client._meta.db_table} c JOIN {TierPolicy._meta.db_table} p ON p.tier = c.tier
         WHERE c.status = %s
           AND CASE WHEN c.last_contact_at IS NOT NULL
                    THEN c.last_contact_at < (%s::date - (p.contact_every_days + %s))::timestamp AT TIME ZONE %s
                    ELSE c.opened_on IS NULL OR c.opened_on < %s::date - (p.contact_every_days + %s) END
        """,
        [settings.TIME_ZONE, Client.Status.ACTIVE, day, grace, settings.TIME_ZONE, day, grace],
        {"client_id": "int64", "advisor_id": "Int64", "tier": "str", "every": "int64"},
        dates=["last_contact", "opened_on"],
    )
    last = pd.to_datetime(overdue["last_contact"])
    rows = pd.DataFrame(
        {
            "client_id": overdue["client_id"],
            "advisor_id": overdue["advisor_id"],
            "condition": ("since|" + last.dt.strftime("%Y-%m-%d")).where(last.notna(), "never").astype(object),
        }
    )

    def describe(fresh: pd.DataFrame) -> pd.DataFrame:
        """Parameters of the alerts to raise only (the overdue clients kept open are many)."""
        described = []
        for row in overdue.loc[fresh.index].itertuples(index=False):
            contacted = None if pd.isna(row.last_contact) else row.last_contact.date()
            opened = None if pd.isna(row.opened_on) else row.opened_on.date()
            since = contacted or opened
            days = (day - since).days if since else None
            described.append(
                {
                    "severity": Alert.Severity.WARNING
                    if days is None or days >= 2 * row.every + grace
                    else Alert.Severity.INFO,
                    "params": {
                        "tier": row.tier,
                        "every": int(row.every),
                        "days": days,
                        "last_contact": contacted.isoformat() if contacted else None,
                        "opened_on": opened.isoformat() if opened else None,
                    },
                    "payload": {"tier": row.tier, "contact_every_days": int(row.every), "days_since_contact": days},
                }
            )
        return pd.DataFrame(described, index=fresh.index)

    return reconcile(
        Alert.Kind.CONTACT_DUE, day, rows, describe=describe, cooldown_days=limits["contact_due_cooldown_days"]
    )
