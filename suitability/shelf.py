"""The client page's product shelf: each product's suitability outcome for the client, and the
recommendations — only ``match`` products (the firm never recommends anything else, art.
22(3)-(4)), best first.

"Best" (docs/suitability.md): among matches, the product whose risk level comes closest to the
client's tolerance from below (it uses the tolerance the client declared rather than leaving it
idle), then the horizon closest to the client's declared one, then products that owe no extra
steps, then the product code (stable order). Only products on sale are recommended.

Both functions read the client's profile once (a few queries) and decide every product in
memory, so a shelf of any length costs the same queries.

The client page's shelf (``shelf_page``) lists what a client buys *through the advisor*: funds
(ETFs included), bonds, wealth products, asset management plans, structured products, private
funds — on sale today. Individual listed stocks are left out: a client trades them on the
exchange, the standard warning on 300 stocks buried the rest, and a stock stays checkable from
the check page. The shelf is searched and filtered in the database and paged; the rules run in
memory for the page shown (or, when filtering by outcome, for the searched products, whose
outcome is only known once decided) — a constant number of queries whatever the catalogue.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.utils import timezone

from clients.held_risk import client_position_day
from clients.models import Client, Position
from products.models import Product
from suitability import services
from suitability.reasons import Reason
from suitability.rules import LEVEL_ORDER, RISK_ORDER, Decision, InvestorProfile, Outcome, Sale, check
from suitability.scoring import HORIZON_ORDER


@dataclass(frozen=True)
class ShelfRow:
    product: Product
    decision: Decision

    @property
    def outcome(self) -> str:
        return self.decision.outcome.value

    @property
    def reasons(self):
        return self.decision.reasons

    @property
    def first_reason(self) -> Reason | None:
        """The reason that decided the outcome: the rules list prohibitions first, then the
        mismatches, then the steps owed, so the first one is the one to read."""
        return self.decision.reasons[0] if self.decision.reasons else None

    @property
    def more_reasons(self) -> tuple[Reason, ...]:
        return self.decision.reasons[1:]


# Individual listed stocks are not on the shelf (see the module's docstring).
NOT_ON_SHELF = (Product.ProductType.STOCK,)
SHELF_PAGE_SIZE = 20
SHELF_TYPES = [(value, label) for value, label in Product.ProductType.choices if value not in NOT_ON_SHELF]


def shelf_products(today: datetime.date, *, text: str = "", product_type: str = ""):
    """The products on the client page's shelf today, searched by code or name (a queryset)."""
    products = Product.objects.on_sale(today).exclude(product_type__in=NOT_ON_SHELF)
    if product_type:
        products = products.filter(product_type=product_type)
    return products.search(text)


def shelf_page(
    client: Client,
    products,
    *,
    page_number: str | int | None = 1,
    outcome: str = "",
    today: datetime.date | None = None,
    per_page: int = SHELF_PAGE_SIZE,
) -> Page:
    """One page of the shelf: a ``Page`` whose ``object_list`` is the page's ``ShelfRow``s.

    Without an outcome filter the database pages the products (a count and one page of rows)
    and only that page is decided; with one, every searched product is decided in memory (one
    query for them all) and the list of rows is paged."""
    today = today or timezone.localdate()
    if outcome:
        rows = [row for row in product_shelf(client, products, today) if row.outcome == outcome]
        return Paginator(rows, per_page).get_page(page_number)
    page = Paginator(products, per_page).get_page(page_number)
    page.object_list = product_shelf(client, page.object_list, today)
    return page


def product_shelf(
    client: Client,
    products: Iterable[Product],
    today: datetime.date | None = None,
    *,
    initiated_by: str = "client",
    profile: InvestorProfile | None = None,
) -> list[ShelfRow]:
    """Every product with the client's outcome and reasons, as if the client asked for it
    (``initiated_by="advisor"`` shows what the advisor may offer: mismatches are prohibited)."""
    today = today or timezone.localdate()
    profile = profile or services.investor_profile(client, today)
    policy = services.policy()
    sale = Sale(today=today, initiated_by=initiated_by)
    return [ShelfRow(product, check(profile, services.product_profile(product), sale, policy)) for product in products]


def _rank(row: ShelfRow, client_level: str, client_horizon: str) -> tuple:
    product = row.product
    level_gap = LEVEL_ORDER.index(client_level) - RISK_ORDER.index(product.risk_level) if client_level else 0
    horizon_gap = abs(HORIZON_ORDER.index(client_horizon) - HORIZON_ORDER.index(product.horizon))
    return (level_gap, horizon_gap, len(row.decision.requires), product.code)


def recommendations(
    client: Client, limit: int = 10, today: datetime.date | None = None, products: Iterable[Product] | None = None
) -> list[ShelfRow]:
    """Up to ``limit`` products on sale that match the client and that the client does not
    already hold (in their latest positions), best first."""
    today = today or timezone.localdate()
    if products is None:
        products = Product.objects.filter(status=Product.Status.ON_SALE).exclude(maturity_date__lt=today)
    profile = services.investor_profile(client, today)
    held = held_products(client, today)
    rows = [
        row
        for row in product_shelf(client, products, today, initiated_by="advisor", profile=profile)
        if row.decision.outcome == Outcome.MATCH and row.product.pk not in held
    ]
    # A professional matches every level: rank them by horizon and steps only.
    client_level = "" if profile.is_professional else (profile.risk_level or "")
    client_horizon = profile.horizon or "long"
    rows.sort(key=lambda row: _rank(row, client_level, client_horizon))
    return rows[:limit]


def held_products(client: Client, today: datetime.date) -> set[int]:
    """The products in the client's latest positions up to ``today`` (the day read first,
    ``client_position_day``, so the products' query is planned for its partition)."""
    day = client_position_day(client, today)
    if day is None:
        return set()
    return set(Position.objects.filter(client=client, as_of=day, quantity__gt=0).values_list("product_id", flat=True))
