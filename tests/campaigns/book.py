"""Trading history for the campaign tests: trades, holdings, snapshots and flows in bulk, and a
synthetic book where buyers of similar products buy again."""

from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal

from clients.models import Account, AssetSnapshot, CashFlow, Client, Position, Transaction
from tests import factories

TODAY = factories.TODAY
_ids = itertools.count(1)


def account_of(client: Client) -> Account:
    return Account.objects.filter(client=client).first() or factories.AccountFactory(client=client)


def trade(client, product, day, amount="10000", side="buy", account=None) -> Transaction:
    account = account or account_of(client)
    amount = Decimal(amount)
    return Transaction.objects.create(
        trade_id=f"CT-{next(_ids)}", account=account, client=client, product=product, trade_date=day, side=side,
        quantity=1, price=amount, amount=amount,
    )  # fmt: skip


def hold(client, product, day, value="10000", account=None) -> Position:
    account = account or account_of(client)
    return Position.objects.create(
        account=account, client=client, product=product, as_of=day, quantity=1, market_value=Decimal(value),
        cost=Decimal(value),
    )  # fmt: skip


def snapshot(client, day, total="100000") -> AssetSnapshot:
    total = Decimal(total)
    return AssetSnapshot.objects.create(client=client, as_of=day, total_assets=total, cash=total, securities=0)


def flow(client, day, amount, direction="in", account=None) -> CashFlow:
    account = account or account_of(client)
    return CashFlow.objects.create(
        flow_id=f"CF-{next(_ids)}", account=account, client=client, flow_date=day, direction=direction,
        amount=Decimal(amount),
    )  # fmt: skip


def habit_book(
    clients: list[Client], similar: list, others: list, *, seed: int = 7, days: int = 720, fans: float = 0.3,
    fan_every: int = 45, other_every: int = 1500,
) -> set[int]:  # fmt: skip
    """Trades over ``days`` up to TODAY: a share ``fans`` of the clients buy one of ``similar``
    about every ``fan_every`` days, the others about every ``other_every`` days; everyone buys
    ``others`` now and then, and has a snapshot at the start and today. Returns the fans' ids."""
    rng = random.Random(seed)
    start = TODAY - datetime.timedelta(days=days)
    accounts = {client.pk: factories.AccountFactory(client=client) for client in clients}
    fan_ids = {client.pk for client in clients if rng.random() < fans}
    rows, shots = [], []
    for client in clients:
        account = accounts[client.pk]
        every = fan_every if client.pk in fan_ids else other_every
        for offset in range(days + 1):
            day = start + datetime.timedelta(days=offset)
            if rng.random() < 1 / every:
                rows.append((client, account, rng.choice(similar), day))
            if rng.random() < 1 / 120:
                rows.append((client, account, rng.choice(others), day))
        for day in (start, TODAY):
            assets = Decimal(rng.randrange(50_000, 2_000_000))
            shots.append(AssetSnapshot(client=client, as_of=day, total_assets=assets, cash=assets, securities=0))
    Transaction.objects.bulk_create(
        Transaction(
            trade_id=f"HB-{seed}-{n}", account=account, client=client, product=product, trade_date=day,
            side="buy", quantity=1, price=Decimal(20000), amount=Decimal(20000),
        )
        for n, (client, account, product, day) in enumerate(rows)
    )  # fmt: skip
    AssetSnapshot.objects.bulk_create(shots)
    return fan_ids
