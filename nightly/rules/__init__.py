"""The nightly alert rules, one module per kind, all raising and closing through
``alerts.raising`` (one key type, one ``reconcile``; docs/alerts.md):

- ``maturity``, ``risk_profile``, ``outflow``, ``birthday``, ``contact_due`` and ``drift`` run in
  the alerts step (``raise_alerts`` below), over the whole book;
- ``tier_change`` and ``dormant`` are called by segmentation's chunks and ``churn`` by the churn
  step: they know the transitions and the reasons.

Every rule yields, per client, a *condition* — a short stable text naming what holds
(``P001|2026-12-20|7`` for a product maturing in 7 days, ``expired|2026-10-01`` for a lapsed risk
profile) — with the parameters its words are made of (``alerts.texts``). Rule definitions are in
docs/nightly.md.
"""

from __future__ import annotations

import datetime
import time

from alerts.raising import reconcile
from nightly.rules import birthday, contact_due, drift, maturity, outflow, risk_profile
from nightly.rules.birthday import birthday_candidates, next_birthday
from nightly.rules.book import book_clients
from nightly.rules.maturity import RenewalShelf

__all__ = ["RenewalShelf", "birthday_candidates", "next_birthday", "raise_alerts", "reconcile"]


def raise_alerts(day: datetime.date) -> dict:
    """Every rule of the alerts step, over the whole book (tier_change and dormant are raised by
    segmentation, churn_risk by the churn step)."""
    live = book_clients()
    rules = {
        "maturity": lambda: maturity.run(day, live),
        "risk_profile": lambda: risk_profile.run(day, live),
        "large_outflow": lambda: outflow.run(day, live),
        "birthday": lambda: birthday.run(day, live),
        "contact_due": lambda: contact_due.run(day),
        # Holdings that no longer suit their holder (a lower re-assessment, a product re-rated
        # higher): suitability's own rules, raised through the same path.
        "suitability_drift": lambda: drift.run(day),
    }
    counts, seconds = {}, {}
    for name, rule in rules.items():
        started = time.perf_counter()
        counts[name] = rule()
        seconds[name] = round(time.perf_counter() - started, 2)
    # Each rule's time in the run record: which one grows with the book shows there.
    return {**counts, "seconds": seconds}
