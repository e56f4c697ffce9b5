"""``suitability_drift``: holdings that no longer suit their holder. The decision is
suitability's (``suitability.drift``); the raising and closing go through ``alerts.raising``."""

from __future__ import annotations

import datetime

from suitability.services import nightly_drift


def run(day: datetime.date) -> dict[str, int]:
    return nightly_drift(day)
