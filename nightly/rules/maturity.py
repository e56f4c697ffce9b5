"""``maturity``: a held product maturing within the largest reminder distance; one alert per
reminder band (by default 30, 7 and 1 days before), with up to three renewal suggestions that
fit the client. Condition ``<product code>|<maturity date>|<band>``."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from alerts.models import Alert
from alerts.raising import empty_rows, reconcile
from clients.models import Position
from core import thresholds
from core.bulk.frames import cents, read_frame, scalar
from products.models import Product


def run(day: datetime.date, clients: pd.DataFrame) -> dict:
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    reminders = sorted(limits["maturity_reminder_days"])
    if not reminders:
        return {}
    latest = scalar(f"SELECT MAX(as_of) FROM {Position._meta.db_table} WHERE as_of <= %s", [day])
    if latest is None:
        return reconcile(Alert.Kind.MATURITY, day, empty_rows())
    held = read_frame(
        f"SELECT p.client_id, pr.id AS product_id, pr.code, pr.name, pr.variety, pr.maturity_date, "
        f"{cents('SUM(p.market_value)')} AS value "
        f"FROM {Position._meta.db_table} p JOIN {Product._meta.db_table} pr ON pr.id = p.product_id "
        f"WHERE p.as_of = %s AND pr.maturity_date > %s AND pr.maturity_date <= %s AND p.quantity > 0 "
        f"GROUP BY p.client_id, pr.id, pr.code, pr.name, pr.variety, pr.maturity_date",
        [latest, day, day + datetime.timedelta(days=reminders[-1])],
        {"client_id": "int64", "product_id": "int64", "code": "str", "name": "str", "variety": "str", "value": "int64"},
        dates=["maturity_date"],
    )
    held = held.merge(clients, on="client_id")
    days_left = (held["maturity_date"] - pd.Timestamp(day)).dt.days.to_numpy()
    bands = np.asarray(reminders)[np.searchsorted(reminders, days_left)]  # the nearest reminder not passed
    rows = pd.DataFrame(
        {
            "client_id": held["client_id"],
            "advisor_id": held["advisor_id"],
            "condition": held["code"] + "|" + held["maturity_date"].dt.strftime("%Y-%m-%d") + "|" + bands.astype(str),
        }
    )

    def describe(fresh: pd.DataFrame) -> pd.DataFrame:
        shelf = renewal_shelf(day)
        described = []
        for row, left, band in zip(
            held.loc[fresh.index].itertuples(index=False),
            days_left[held.index.get_indexer(fresh.index)],
            bands[held.index.get_indexer(fresh.index)],
            strict=True,
        ):
            suggestions = shelf.suggest(row.risk_level, row.variety, row.assets)
            matures = row.maturity_date.date().isoformat()
            described.append(
                {
                    "severity": Alert.Severity.WARNING if band <= 7 else Alert.Severity.INFO,
                    "params": {
                        "product_name": row.name,
                        "product_code": row.code,
                        "days": int(left),
                        "maturity_date": matures,
                        "value": int(row.value),
                        "suggestions": suggestions,
                    },
                    "payload": {
                        "product": row.code,
                        "maturity_date": matures,
                        "days_before": int(band),
                        "value": row.value / 100,
                        "suggestions": suggestions,
                    },
                }
            )
        return pd.DataFrame(described, index=fresh.index)

    return reconcile(Alert.Kind.MATURITY, day, rows, describe=describe)


def renewal_shelf(day: datetime.date) -> RenewalShelf:
    return RenewalShelf(
        Product.objects.filter(status=Product.Status.ON_SALE, professional_only=False)
        .exclude(maturity_date__lte=day + datetime.timedelta(days=90))
        .values("code", "name", "risk_level", "variety", "access_min_assets")
        .order_by("-risk_level", "code")
    )


class RenewalShelf:
    """Products on sale, for ordinary investors, not maturing within 90 days (``renewal_shelf``),
    in the order suggestions are made to a client of each risk tolerance and product variety —
    computed once per (tolerance, variety), not once per maturing holding (a million-client night
    has tens of thousands; filtering and sorting the shelf for each took 3 s at 200,000 clients)."""

    def __init__(self, products):
        self.products = [(int(product["risk_level"][1]), product) for product in products]
        self.orders: dict[tuple[int, str], list[dict]] = {}

    def suggest(self, risk_level, variety: str, assets_cents: int) -> list[str]:
        """Up to three products (``name (code)``, the name as stored) whose risk level does not
        exceed the client's tolerance (R_n ≤ C_n) and whose asset threshold the client meets, the
        same variety first. A pre-filter: the sale itself still goes through the suitability check."""
        level = risk_level if isinstance(risk_level, str) else ""
        if not level:
            return []
        key = (int(level[1]), variety)
        order = self.orders.get(key)
        if order is None:
            order = [product for risk, product in self.products if risk <= key[0]]
            order.sort(key=lambda product: product["variety"] != variety)  # stable: the shelf's order kept
            self.orders[key] = order
        chosen = []
        for product in order:
            if product["access_min_assets"] is None or product["access_min_assets"] * 100 <= assets_cents:
                chosen.append(f"{product['name']} ({product['code']})")
                if len(chosen) == 3:
                    break
        return chosen
