"""Two years of trading, simulated per chunk of clients with array operations only.

The unit of simulation is a *lot*: a quantity of one product bought into one account — before
the window (an opening holding, no transaction) or on a trading day inside it — and maybe sold
later, wholly or in part (closed-end products are redeemed at maturity; a closing client sells
everything on the closing day). Because every sale belongs to a lot bought earlier, holdings
never go negative, and holdings on any day are a cumulative sum over buy and sell events.

From the lots follow, consistently:

* transactions — buys/subscriptions, sells/redemptions, dividends and coupons on what was held
  the day before the ex-date; amount = quantity × price; stock commission at the client's rate
  with a 5-yuan minimum;
* the cash ledger of each settlement account — opening cash, deposits, withdrawals after sales,
  and a top-up transfer (银证转账) whenever a purchase would overdraw the account, so cash
  never goes negative;
* positions and cash balances at every month end and on each of the last trading days
  (``dates.DAILY_POSITION_DAYS``). Asset snapshots, segments, alerts and every other figure
  are the nightly run's, computed from these facts after they are imported.

Drifting clients (``Book.drifting``) stop trading of their own accord, then, one to four months
later, sell in three stages and take the money out — half of them earlier in the window, half
in the middle of it at the as-of day (two stages behind them, the last to come).

Money is integer cents, quantities hundredths of a share, prices ten-thousandths of a yuan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clients.models import CashBalance, CashFlow, Position, Transaction
from demo.columns import Codes, Dates, Decimals, Ints, Labels, compact_dates, digits, make_codes
from demo.context import CHUNK_CLIENTS, Context
from demo.people import Accounts, Book
from demo.products import CLOSED_END_TYPES, EXCHANGE_TYPES, PREFERENCE, TRADER_PREFERENCE, TYPES, Shelf
from demo.products import T as KIND

SIDES = ["buy", "sell", "subscribe", "redeem", "dividend"]
CHANNELS = ["app", "web", "counter", "phone", "advisor", "other"]
NEVER = Shelf.NEVER
MAX_BUYS = 800


@dataclass
class Chunk:
    """One chunk of clients as the simulation sees them; days are trading-day indices."""

    pos: np.ndarray  # positions in the Book
    active: np.ndarray  # has an account during the window
    has_initial: np.ndarray  # opened before the window: holds something at its start
    start: np.ndarray  # first day they can act (0 for those opened before the window)
    act_end: np.ndarray  # last day they buy or sell of their own accord (before closing, or going dormant)
    end: np.ndarray  # last day they have an account (the closing day, else the as-of day)
    close_idx: np.ndarray  # closing day; NEVER when not closing
    assets: np.ndarray  # cents: the scale of their wealth
    cash_frac: np.ndarray  # share of it in cash at the start
    level: np.ndarray
    trader: np.ndarray
    status: np.ndarray
    by_type: np.ndarray  # (clients, 4) account id per account type, -1 = none
    drifting: np.ndarray  # stops trading, then sells in stages and takes the money out (``Book.drifting``)
    drift_days: np.ndarray  # (clients, 3): the days of the three stages, NEVER = none (or after the as-of day)

    @property
    def n(self) -> int:
        return len(self.pos)


@dataclass
class Pools:
    """Products a client may buy, per product type × client level, flattened for sampling."""

    flat: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray
    preference: np.ndarray  # (5, types): probabilities per client level
    trader_preference: np.ndarray

    @classmethod
    def of(cls, pools: list[list[np.ndarray]]) -> Pools:
        sizes = np.array([[len(p) for p in row] for row in pools])
        flat = np.concatenate([p for row in pools for p in row]) if sizes.sum() else np.zeros(0, dtype=np.int64)
        offsets = (np.cumsum(sizes.ravel()) - sizes.ravel()).reshape(sizes.shape)
        return cls(
            flat=flat.astype(np.int64),
            offsets=offsets,
            sizes=sizes,
            preference=_preferences(sizes, PREFERENCE),
            trader_preference=_preferences(sizes, np.tile(TRADER_PREFERENCE, (5, 1))),
        )

    def pick(self, rng: np.random.Generator, level: np.ndarray, trader: np.ndarray) -> np.ndarray:
        """A product per purchase: a type by the client's preferences, then a product of that
        type within the client's risk level (one in 30 a level above: a confirmed mismatch).
        -1 where nothing fits."""
        m = len(level)
        probs = np.where(trader[:, None], self.trader_preference[level - 1], self.preference[level - 1])
        kind = (rng.random(m)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, len(TYPES) - 1)
        pool_level = np.where(rng.random(m) < 0.03, np.minimum(level + 1, 5), level) - 1
        size = self.sizes[kind, pool_level]
        choice = self.offsets[kind, pool_level] + (rng.random(m) * np.maximum(size, 1)).astype(np.int64)
        return np.where(size > 0, self.flat[np.minimum(choice, len(self.flat) - 1)], -1)


def _preferences(sizes: np.ndarray, base: np.ndarray) -> np.ndarray:
    """(5, types) probabilities per client level, restricted to types with products to buy."""
    rows = np.atleast_2d(base) * (sizes.T > 0)
    totals = rows.sum(axis=1, keepdims=True)
    return np.divide(rows, totals, out=np.zeros_like(rows), where=totals > 0)


class Simulator:
    def __init__(self, ctx: Context, book: Book, accounts: Accounts, shelf: Shelf):
        self.ctx, self.book, self.accounts, self.shelf = ctx, book, accounts, shelf
        cal = ctx.calendar
        self.T = cal.n
        self.query_days = cal.position_idx  # the days the extract has positions and balances for
        self.pools = Pools.of(shelf.pools)
        self.pre_pools = Pools.of(shelf.pre_pools)
        kind = shelf.type_idx
        self.exchange = np.isin(kind, [KIND[k] for k in EXCHANGE_TYPES])
        self.closed_end = np.isin(kind, [KIND[k] for k in CLOSED_END_TYPES])
        self.stockish = np.isin(kind, [KIND["stock"], KIND["etf"]])
        self.fundish = ~self.exchange
        self.partial_ok = ~self.closed_end & (kind != KIND["private_fund"])
        self.trade_serial = 1
        self.flow_serial = 1

    # --- the whole book -----------------------------------------------------------------------

    def run(self) -> None:
        n = len(self.book)
        bar = self.ctx.bar("trading", total=n, unit="client")
        for chunk, lo in enumerate(range(0, n, CHUNK_CLIENTS)):
            hi = min(n, lo + CHUNK_CLIENTS)
            self.chunk(np.random.default_rng([self.ctx.options.seed, 7919, chunk]), lo, hi)
            bar.update(hi - lo)
        bar.close()

    # --- one chunk ----------------------------------------------------------------------------

    def chunk(self, rng: np.random.Generator, lo: int, hi: int) -> None:
        book, cal, T = self.book, self.ctx.calendar, self.T
        pos = np.arange(lo, hi)
        C = len(pos)
        opened, closed, dormant = book.opened[pos], book.closed[pos], book.dormant_since[pos]
        customer = ~np.isnat(opened)
        pre = customer & (opened < cal.days[0])
        start = np.where(pre, 0, np.where(customer, cal.on_or_after(opened), T))
        close_idx = np.where(np.isnat(closed), NEVER, cal.on_or_before(closed))
        active = customer & (start < T) & (close_idx >= start) & ~(~np.isnat(closed) & (closed < cal.days[0]))
        dormant_idx = np.where(np.isnat(dormant), NEVER, cal.on_or_after(dormant))
        end = np.minimum(T - 1, close_idx)
        act_end = np.minimum.reduce([np.full(C, T - 1), close_idx - 1, dormant_idx - 1])
        # A drifting client stops trading of their own accord, one to six months later sells in
        # three stages and takes the money out: half of them are in the middle of it at the as-of
        # day (two stages done, the last to come), the others drifted away earlier in the window
        # (the history the churn model learns from).
        drifting = book.drifting[pos] & customer
        now = book.drift_now[pos]
        # Now: two stages in the last two and a half months, the last to come. Earlier: the
        # middle stage one or two months before the closing day, the last on it.
        stage_2 = np.where(now, T - 1 - rng.integers(3, 20, C), close_idx - rng.integers(25, 45, C))
        drift_start = stage_2 - np.where(now, rng.integers(25, 40, C), rng.integers(20, 30, C))
        stage_3 = np.where(now, NEVER, close_idx)
        drift_start = np.where(drifting & (drift_start > start + 60), drift_start, NEVER)
        drifting &= drift_start < NEVER
        act_end = np.where(drifting, np.minimum(act_end, drift_start - rng.integers(40, 120, C)), act_end)
        drift_days = np.stack([drift_start, stage_2, stage_3], axis=1)
        drift_days = np.where(drifting[:, None] & (drift_days < T), drift_days, NEVER)
        if not active.any():  # e.g. a chunk of prospects only
            return
        c = Chunk(
            pos=pos,
            active=active,
            has_initial=active & pre,
            start=start,
            act_end=act_end,
            end=end,
            close_idx=close_idx,
            assets=(book.assets[pos] * 100).astype(np.int64),
            cash_frac=np.where(drifting, 0.05, rng.beta(2, 8, C)),
            level=book.level[pos],
            trader=book.trader[pos],
            status=book.status[pos],
            by_type=self.accounts.by_type[pos],
            drifting=drifting,
            drift_days=drift_days,
        )
        lots = self._lots(rng, c)
        self._sales(rng, lots, c)
        self._accounts(rng, lots, c)
        trades = self._transactions(rng, lots, c)
        pairs = self._pairs(lots)
        dividends = self._dividends(pairs)
        flows, ledger = self._cash(rng, lots, trades, dividends, c)
        self._write_trades(trades, dividends, lots, c)
        self._write_flows(flows, c)
        self._holdings(pairs, ledger, flows, c)

    def _accounts(self, rng, lots: dict, c: Chunk) -> None:
        """Which account holds each lot, and which account pays for it."""
        owner, prod, by_type = lots["owner"], lots["prod"], c.by_type
        m = len(owner)
        use_margin = self.exchange[prod] & (by_type[owner, 1] >= 0) & (rng.random(m) < 0.5)
        holding = np.where(
            self.exchange[prod],
            np.where(use_margin, by_type[owner, 1], by_type[owner, 0]),
            np.where(self.closed_end[prod], by_type[owner, 3], by_type[owner, 2]),
        )
        lots["holding"] = np.where(holding < 0, by_type[owner, 0], holding)
        lots["settle"] = np.where(use_margin, by_type[owner, 1], by_type[owner, 0])

    # --- lots ----------------------------------------------------------------------------------

    def _lots(self, rng, c: Chunk) -> dict:
        shelf, book = self.shelf, self.book
        pos, active, start, act_end = c.pos, c.active, c.start, c.act_end
        assets, level, trader = c.assets, c.level, c.trader
        C = c.n
        # Holdings at the start of the window: more positions for larger wealth.
        breadth = 0.8 + 0.5 * np.log10(np.maximum(assets, 1_000_000) / 1_000_000)
        k0 = np.where(c.has_initial, np.clip(1 + rng.poisson(breadth), 1, 12), 0)
        owner0 = np.repeat(np.arange(C), k0)
        prod0 = self.pre_pools.pick(rng, level[owner0], np.zeros(len(owner0), bool))
        weight = rng.gamma(1.0, 1.0, len(owner0))
        share = weight / np.bincount(owner0, weights=weight, minlength=C)[owner0]
        value0 = (assets[owner0] * (1 - c.cash_frac[owner0]) * share).astype(np.int64)
        # Purchases inside the window: a Poisson number per client at the client's own pace.
        span = np.where(active & (act_end >= start), act_end - start + 1, 0)
        k1 = np.minimum(rng.poisson(book.rate[pos] * span), MAX_BUYS)
        owner1 = np.repeat(np.arange(C), k1)
        prod1 = self.pools.pick(rng, level[owner1], trader[owner1])
        p1 = np.maximum(prod1, 0)
        lo_day = np.maximum(start[owner1], shelf.buy_lo[p1])
        hi_day = np.minimum(act_end[owner1], shelf.buy_hi[p1])
        day1 = lo_day + (rng.random(len(owner1)) * np.maximum(hi_day - lo_day + 1, 1)).astype(np.int64)
        # A ticket is a share of the client's wealth; frequent buyers buy smaller tickets, so
        # what they keep does not outgrow their wealth.
        expected = np.maximum(book.rate[pos] * span, 1)
        scale = np.minimum(1, np.where(trader, 60, 10) / expected)
        fraction = rng.uniform(0.05, 0.3, len(owner1)) * scale[owner1]
        value1 = (assets[owner1] * fraction).astype(np.int64)
        valid1 = (prod1 >= 0) & (lo_day <= hi_day)

        owner = np.concatenate([owner0, owner1])
        prod = np.concatenate([np.maximum(prod0, 0), p1])
        day = np.concatenate([np.full(len(owner0), -1), np.where(valid1, day1, 0)])
        value = np.concatenate([value0, value1])
        valid = np.concatenate([prod0 >= 0, valid1])
        # Suitability and minimums: professional-only products, access thresholds, minimum tickets.
        professional = book.professional[pos][owner]
        valid &= ~shelf.professional_only[prod] | professional
        valid &= shelf.access_min[prod] <= assets[owner]
        minimum = shelf.min_investment[prod]
        value = np.where((value < minimum) & (minimum <= assets[owner] * 0.6), minimum, value)
        valid &= value >= minimum
        price = np.where(day < 0, shelf.pre_price[prod], shelf.prices[prod, np.maximum(day, 0)])
        unit = shelf.unit[prod]
        quantity = (value * 10_000 // price) // unit * unit
        valid &= quantity > 0
        keep = np.flatnonzero(valid)
        lots = {
            "owner": owner[keep],
            "prod": prod[keep],
            "buy": day[keep],
            "qty": quantity[keep],
            "buy_price": price[keep],
        }
        lots["cost"] = (lots["qty"] * lots["buy_price"] + 5_000) // 10_000
        return lots

    def _sales(self, rng, lots: dict, c: Chunk) -> None:
        shelf, T = self.shelf, self.T
        start, act_end, close_idx, trader = c.start, c.act_end, c.close_idx, c.trader
        owner, prod, buy, qty = lots["owner"], lots["prod"], lots["buy"], lots["qty"]
        m = len(owner)
        kind = shelf.type_idx[prod]
        is_trader = trader[owner]
        stockish = self.stockish[prod]
        initial = buy < 0
        p_sell = np.select(
            [
                self.closed_end[prod],
                stockish & is_trader,
                stockish,
                kind == KIND["money_fund"],
                kind == KIND["bond"],
                kind == KIND["private_fund"],
            ],
            [0.0, 0.99, np.where(initial, 0.55, 0.8), 0.6, 0.3, 0.2],
            0.45,
        )
        hold_days = np.select(
            [stockish & is_trader, stockish, kind == KIND["money_fund"]],
            [rng.geometric(0.25, m), rng.lognormal(np.log(30), 1.0, m), rng.lognormal(np.log(40), 1.0, m)],
            rng.lognormal(np.log(90), 0.8, m),
        ).astype(np.int64)
        window = np.maximum(act_end[owner] - start[owner] + 1, 1)
        sell = np.where(
            initial, start[owner] + (rng.random(m) * window).astype(np.int64), buy + np.maximum(1, hold_days)
        )
        sold = (rng.random(m) < p_sell) & (sell <= act_end[owner]) & (sell > buy)
        sell_qty = qty.copy()
        # Some sales are partial; the rest of the lot stays held (not for day traders, whose
        # remainders would pile up).
        partial = sold & self.partial_ok[prod] & (close_idx[owner] >= NEVER) & ~is_trader & (rng.random(m) < 0.2)
        part = (qty * rng.uniform(0.3, 0.7, m)).astype(np.int64) // shelf.unit[prod] * shelf.unit[prod]
        sell_qty = np.where(partial & (part > 0), part, sell_qty)
        sell = np.where(sold, sell, NEVER)
        # Closed-end products are redeemed at maturity.
        maturity = shelf.maturity_idx[prod]
        matures = self.closed_end[prod] & (maturity < T) & (maturity > buy)
        sell = np.where(matures, maturity, sell)
        sell_qty = np.where(matures, qty, sell_qty)
        # A closing client sells whatever is left on the closing day.
        closing = close_idx[owner] < T
        forced = closing & (sell > close_idx[owner])
        sell = np.where(forced, close_idx[owner], sell)
        sell_qty = np.where(forced, qty, sell_qty)
        # A few clients liquidate most of their holdings lately and take the money out.
        C = c.n
        liquidate = (
            c.active
            & (act_end == T - 1)
            & ~trader
            & (c.status == "active")
            & (c.assets > 20_000_000)
            & (rng.random(C) < 0.015)
        )
        liquidation_day = np.where(liquidate, T - 1 - rng.integers(0, 15, C), NEVER)
        liquidation_day = np.where(liquidation_day > start, liquidation_day, NEVER)
        d = liquidation_day[owner]
        # A drifting client's lots are sold in one of their three stages.
        stage = rng.choice(3, size=m, p=[0.25, 0.5, 0.25])
        d = np.where(c.drifting[owner], c.drift_days[owner, stage], d)
        liquidated = (d < NEVER) & (buy < d) & ~self.closed_end[prod] & (sell > d)
        sell = np.where(liquidated, d, sell)
        sell_qty = np.where(liquidated, qty, sell_qty)
        lots["sell"], lots["sell_qty"] = sell, sell_qty
        lots["discretionary"] = sold & ~matures & ~forced & ~liquidated
        lots["liquidated"] = liquidated
        sell_price = shelf.prices[prod, np.minimum(sell, T - 1)]
        lots["sell_price"] = sell_price
        lots["proceeds"] = np.where(sell < NEVER, (sell_qty * sell_price + 5_000) // 10_000, 0)
        lots["sell_cost"] = (sell_qty * lots["buy_price"] + 5_000) // 10_000
        lots["liquidation_day"] = np.where(liquidated, d, NEVER)

    # --- transactions ----------------------------------------------------------------------

    def _commission(self, prod, amount, rate, buy: bool) -> np.ndarray:
        shelf = self.shelf
        exchange_rate = np.where(shelf.type_idx[prod] == KIND["bond"], rate * 0.2, rate)
        fee_rate = np.where(self.exchange[prod], exchange_rate, shelf.buy_fee[prod] if buy else shelf.sell_fee[prod])
        fee = np.round(amount * fee_rate).astype(np.int64)
        return np.where(self.exchange[prod], np.maximum(fee, shelf.min_fee[prod]), fee)

    def _transactions(self, rng, lots: dict, c: Chunk) -> dict:
        owner, prod = lots["owner"], lots["prod"]
        rate = self.book.commission_rate[c.pos][owner]
        bought = lots["buy"] >= 0
        sold = lots["sell"] < self.T
        buy_amount = (lots["qty"] * lots["buy_price"] + 5_000) // 10_000
        b, s = np.flatnonzero(bought), np.flatnonzero(sold)
        exchange = self.exchange[prod]
        side = np.concatenate([np.where(exchange[b], 0, 2), np.where(exchange[s], 1, 3)])
        lot = np.concatenate([b, s])
        amount = np.concatenate([buy_amount[b], lots["proceeds"][s]])
        commission = np.concatenate(
            [
                self._commission(prod[b], buy_amount[b], rate[b], True),
                self._commission(prod[s], lots["proceeds"][s], rate[s], False),
            ]
        )
        u = rng.random(len(lot))
        is_trader = c.trader[owner[lot]]
        channel = np.where(is_trader, np.array([0, 1, 3])[np.searchsorted([0.8, 0.95], u, side="right")], 0)
        otc = ~exchange[lot]
        channel = np.where(
            ~is_trader & otc, np.array([0, 4, 2, 1])[np.searchsorted([0.45, 0.75, 0.9], u, side="right")], channel
        )
        channel = np.where(
            ~is_trader & ~otc,
            np.array([0, 1, 2, 3, 4])[np.searchsorted([0.7, 0.82, 0.87, 0.92], u, side="right")],
            channel,
        )
        return {
            "lot": lot,
            "day": np.concatenate([lots["buy"][b], lots["sell"][s]]),
            "side": side,
            "qty": np.concatenate([lots["qty"][b], lots["sell_qty"][s]]),
            "price": np.concatenate([lots["buy_price"][b], lots["sell_price"][s]]),
            "amount": amount,
            "commission": commission,
            "channel": channel,
            # Cash effect on the settlement account.
            "cash": np.where(np.isin(side, [0, 2]), -(amount + commission), amount - commission),
        }

    # --- holdings ------------------------------------------------------------------------------

    def _pairs(self, lots) -> dict:
        """Account × product holdings as a step function over days (cumulative events)."""
        T = self.T
        pair_key = lots["holding"] * len(self.shelf) + lots["prod"]
        keys, pair = np.unique(pair_key, return_inverse=True)
        sold = lots["sell"] < T
        ev_pair = np.concatenate([pair, pair[sold]])
        ev_day = np.concatenate([lots["buy"], lots["sell"][sold]])
        ev_qty = np.concatenate([lots["qty"], -lots["sell_qty"][sold]])
        ev_cost = np.concatenate([lots["cost"], -lots["sell_cost"][sold]])
        key = ev_pair * (T + 2) + ev_day + 1
        order = np.argsort(key, kind="stable")
        key, ev_pair = key[order], ev_pair[order]
        cum_qty, cum_cost = np.cumsum(ev_qty[order]), np.cumsum(ev_cost[order])
        first = np.searchsorted(ev_pair, np.arange(len(keys)), side="left")
        before_qty = np.concatenate([[0], cum_qty])[first]
        before_cost = np.concatenate([[0], cum_cost])[first]
        lot_of_pair = np.zeros(len(keys), dtype=np.int64)
        lot_of_pair[pair] = np.arange(len(pair))
        return {
            "n": len(keys),
            "account": lots["holding"][lot_of_pair],
            "owner": lots["owner"][lot_of_pair],
            "prod": lots["prod"][lot_of_pair],
            "settle": lots["settle"][lot_of_pair],
            "key": key,
            "ev_pair": ev_pair,
            "cum_qty": cum_qty,
            "cum_cost": cum_cost,
            "before_qty": before_qty,
            "before_cost": before_cost,
        }

    def _held(self, pairs, pair: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Quantity and cost held by ``pair`` at the end of ``day``."""
        idx = np.searchsorted(pairs["key"], pair * (self.T + 2) + day + 1, side="right") - 1
        safe = np.maximum(idx, 0)
        mine = (idx >= 0) & (pairs["ev_pair"][safe] == pair)
        qty = np.where(mine, pairs["cum_qty"][safe] - pairs["before_qty"][pair], 0)
        cost = np.where(mine, pairs["cum_cost"][safe] - pairs["before_cost"][pair], 0)
        return qty, cost

    def _dividends(self, pairs: dict) -> dict:
        shelf = self.shelf
        order = np.argsort(pairs["prod"], kind="stable")
        sorted_prod = pairs["prod"][order]
        lo = np.searchsorted(sorted_prod, shelf.div_product, side="left")
        hi = np.searchsorted(sorted_prod, shelf.div_product, side="right")
        count = hi - lo
        event = np.repeat(np.arange(len(count)), count)
        within = np.arange(len(event)) - np.repeat(np.cumsum(count) - count, count)
        pair = order[lo[event] + within]
        day = shelf.div_day[event]
        held, _ = self._held(pairs, pair, day - 1)
        per_share = shelf.div_per_share[event]
        amount = (held * per_share + 5_000) // 10_000
        keep = (held > 0) & (amount > 0)
        pair, day, held, per_share, amount = pair[keep], day[keep], held[keep], per_share[keep], amount[keep]
        return {
            "account": pairs["account"][pair],
            "owner": pairs["owner"][pair],
            "prod": pairs["prod"][pair],
            "settle": pairs["settle"][pair],
            "day": day,
            "qty": held,
            "price": per_share,
            "amount": amount,
        }

    # --- cash --------------------------------------------------------------------------------

    def _cash(self, rng, lots: dict, trades: dict, dividends: dict, c: Chunk) -> tuple[dict, dict]:
        T, cal = self.T, self.ctx.calendar
        active, start, act_end, end = c.active, c.start, c.act_end, c.end
        assets, by_type, has_initial, close_idx = c.assets, c.by_type, c.has_initial, c.close_idx
        C = c.n
        cash_acct = by_type[:, 0]
        entries: list[tuple] = []  # (account, day, signed cents) moving each settlement account's cash
        transfers: list[tuple] = []  # the ones that are bank transfers (cash flows): + in, - out

        def entry(acct, day, amount, flow: bool) -> None:
            entries.append((acct, day, amount))
            if flow:
                transfers.append((acct, day, amount))

        # Cash already there at the window's start.
        who = np.flatnonzero(has_initial)
        entry(cash_acct[who], np.full(len(who), -1), (assets[who] * c.cash_frac[who]).astype(np.int64), False)
        # Margin accounts have a ledger (and balance rows) even before their first trade.
        who = np.flatnonzero(active & (by_type[:, 1] >= 0))
        entry(by_type[who, 1], np.where(has_initial[who], -1, start[who]), np.zeros(len(who), dtype=np.int64), False)
        # New clients bring money when they open.
        who = np.flatnonzero(active & ~has_initial)
        deposit = _round_down(assets[who] * rng.uniform(0.3, 0.8, len(who)), 100_000)
        entry(cash_acct[who], start[who], np.maximum(deposit, 100_000), True)
        # Some save monthly.
        savers = np.flatnonzero(active & (rng.random(C) < 0.08))
        month_ends = cal.month_end_idx
        grid_client = np.repeat(savers, len(month_ends))
        grid_day = np.tile(month_ends, len(savers))
        ok = (grid_day >= start[grid_client]) & (grid_day <= act_end[grid_client])
        grid_client, grid_day = grid_client[ok], grid_day[ok]
        monthly = _round_down(assets * rng.uniform(0.01, 0.04, C), 10_000)
        keep = monthly[grid_client] > 0
        entry(cash_acct[grid_client[keep]], grid_day[keep], monthly[grid_client[keep]], True)
        # Trades and dividends.
        lot = trades["lot"]
        entry(lots["settle"][lot], trades["day"], trades["cash"], False)
        entry(dividends["settle"], dividends["day"], dividends["amount"], False)
        # Some take the money out after a sale.
        sales = np.flatnonzero(lots["discretionary"] & (rng.random(len(lots["owner"])) < 0.3))
        taken = _round_down(lots["proceeds"][sales] * rng.uniform(0.3, 1.0, len(sales)), 10_000)
        day = np.minimum(lots["sell"][sales] + rng.integers(0, 4, len(sales)), end[lots["owner"][sales]])
        keep = taken > 0
        entry(lots["settle"][sales[keep]], day[keep], -taken[keep], True)
        # Liquidations: the proceeds leave the same day.
        liquidated = np.flatnonzero(lots["liquidated"])
        if len(liquidated):
            sold_on = _daily(
                lots["owner"][liquidated], lots["liquidation_day"][liquidated], lots["proceeds"][liquidated]
            )
            amount = _round_down(sold_on["amount"] * 0.95, 10_000)
            keep = amount > 0
            who = sold_on["acct"][keep]  # client positions, grouped as accounts are
            entry(cash_acct[who], sold_on["day"][keep], -amount[keep], True)

        ledger = _daily(*(np.concatenate(part).astype(np.int64) for part in zip(*entries, strict=True)))
        # Top up whenever the running balance would go negative.
        running = _group_cumsum(ledger["amount"], ledger["acct"])
        low = _group_cummin(running, ledger["acct"])
        need = _round_up(np.maximum(0, -low))
        top_up = need - _group_shift(need, ledger["acct"])
        t = np.flatnonzero(top_up > 0)
        transfers.append((ledger["acct"][t], ledger["day"][t], top_up[t]))
        balance = running + need
        # A closing client takes everything out on the closing day.
        last = np.flatnonzero(np.append(ledger["acct"][1:] != ledger["acct"][:-1], True)) if len(running) else running
        client_of_acct = _client_of(ledger["acct"][last], by_type)
        closing = (close_idx[client_of_acct] < T) & (balance[last] > 0)
        last = last[closing]
        closure = {
            "acct": ledger["acct"][last],
            "day": close_idx[client_of_acct[closing]],
            "amount": -balance[last],
        }
        transfers.append((closure["acct"], closure["day"], closure["amount"]))
        ledger = _daily(
            np.concatenate([ledger["acct"], ledger["acct"][t], closure["acct"]]),
            np.concatenate([ledger["day"], ledger["day"][t], closure["day"]]),
            np.concatenate([ledger["amount"], top_up[t], closure["amount"]]),
        )
        ledger["balance"] = _group_cumsum(ledger["amount"], ledger["acct"])
        acct, day, amount = (np.concatenate(part).astype(np.int64) for part in zip(*transfers, strict=True))
        flows = {"acct": acct, "day": day, "amount": amount}
        keep = flows["amount"] != 0
        flows = {k: v[keep] for k, v in flows.items()}
        flows["owner"] = _client_of(flows["acct"], by_type)
        return flows, ledger

    # --- writing ------------------------------------------------------------------------------

    def _write_trades(self, trades: dict, dividends: dict, lots: dict, c: Chunk) -> None:
        book, shelf, cal, pos = self.book, self.shelf, self.ctx.calendar, c.pos
        lot = trades["lot"]
        owner = np.concatenate([lots["owner"][lot], dividends["owner"]])
        account = np.concatenate([lots["holding"][lot], dividends["account"]])
        prod = np.concatenate([lots["prod"][lot], dividends["prod"]])
        day = np.concatenate([trades["day"], dividends["day"]])
        side = np.concatenate([trades["side"], np.full(len(dividends["day"]), 4)])
        qty = np.concatenate([trades["qty"], dividends["qty"]])
        price = np.concatenate([trades["price"], dividends["price"]])
        amount = np.concatenate([trades["amount"], dividends["amount"]])
        commission = np.concatenate([trades["commission"], np.zeros(len(dividends["day"]), dtype=np.int64)])
        channel = np.concatenate([trades["channel"], np.full(len(dividends["day"]), 5)])
        order = np.lexsort((side, prod, account, owner, day))
        owner, account, prod, day = owner[order], account[order], prod[order], day[order]
        n = len(order)
        serial = np.arange(self.trade_serial, self.trade_serial + n)
        self.trade_serial += n
        dates = cal.days[day]
        self.ctx.writer.write(
            Transaction,
            {
                "trade_id": Codes(make_codes("T", compact_dates(dates), digits(serial, 10))),
                "account_id": Ints(account),
                "client_id": Ints(book.ids[pos][owner]),
                "product_id": Ints(shelf.ids[prod]),
                "trade_date": Dates(dates),
                "side": Labels(side[order], SIDES),
                "quantity": Decimals(qty[order] * 100, 4),
                "price": Decimals(price[order], 4),
                "amount": Decimals(amount[order], 2),
                "commission": Decimals(commission[order], 2),
                "channel": Labels(channel[order], CHANNELS),
            },
            background=True,
        )

    def _write_flows(self, flows: dict, c: Chunk) -> None:
        cal, pos = self.ctx.calendar, c.pos
        order = np.lexsort((flows["amount"], flows["acct"], flows["day"]))
        n = len(order)
        serial = np.arange(self.flow_serial, self.flow_serial + n)
        self.flow_serial += n
        dates = cal.days[flows["day"][order]]
        amount = flows["amount"][order]
        self.ctx.writer.write(
            CashFlow,
            {
                "flow_id": Codes(make_codes("F", compact_dates(dates), digits(serial, 10))),
                "account_id": Ints(flows["acct"][order]),
                "client_id": Ints(self.book.ids[pos][flows["owner"][order]]),
                "flow_date": Dates(dates),
                "direction": Labels((amount < 0).astype(np.int64), ["in", "out"]),
                "amount": Decimals(np.abs(amount), 2),
            },
            background=True,
        )

    def _holdings(self, pairs: dict, ledger: dict, flows: dict, c: Chunk) -> None:
        """Positions and cash balances on every day the extract carries them (the nightly's
        snapshots are made from these)."""
        shelf, cal, book, T = self.shelf, self.ctx.calendar, self.book, self.T
        pos, active, start, end, by_type = c.pos, c.active, c.start, c.end, c.by_type
        K = len(self.query_days)
        # Securities: every holding at every position day.
        pair = np.repeat(np.arange(pairs["n"]), K)
        k = np.tile(np.arange(K), pairs["n"])
        day = self.query_days[k]
        qty, cost = self._held(pairs, pair, day)
        prod = pairs["prod"][pair]
        value = (qty * shelf.prices[prod, day] + 5_000) // 10_000
        owner = pairs["owner"][pair]
        write = qty > 0
        self.ctx.writer.write(
            Position,
            {
                "account_id": Ints(pairs["account"][pair[write]]),
                "client_id": Ints(book.ids[pos][owner[write]]),
                "product_id": Ints(shelf.ids[prod[write]]),
                "as_of": Dates(cal.days[day[write]]),
                "quantity": Decimals(qty[write] * 100, 4),
                "market_value": Decimals(value[write], 2),
                "cost": Decimals(cost[write], 2),
            },
        )
        # Cash: each settlement account's balance at each position day.
        accounts = np.unique(ledger["acct"])
        acct = np.repeat(accounts, K)
        k = np.tile(np.arange(K), len(accounts))
        day = self.query_days[k]
        key = ledger["acct"] * (T + 2) + ledger["day"] + 1
        idx = np.searchsorted(key, acct * (T + 2) + day + 1, side="right") - 1
        safe = np.maximum(idx, 0)
        balance = np.where((idx >= 0) & (ledger["acct"][safe] == acct), ledger["balance"][safe], 0)
        owner = _client_of(acct, by_type)
        alive = active[owner] & (day >= start[owner]) & (day <= end[owner])
        self.ctx.writer.write(
            CashBalance,
            {
                "account_id": Ints(acct[alive]),
                "client_id": Ints(book.ids[pos][owner[alive]]),
                "as_of": Dates(cal.days[day[alive]]),
                "cash": Decimals(balance[alive], 2),
            },
        )


# --- helpers ------------------------------------------------------------------------------------


def _round_down(values, unit: int) -> np.ndarray:
    return (np.asarray(values) // unit * unit).astype(np.int64)


def _round_up(cents: np.ndarray) -> np.ndarray:
    """Round a needed top-up up to a round transfer: 1,000 yuan below 10k, 10,000 below 1m,
    100,000 above. Monotone, so cumulative needs stay cumulative."""
    unit = np.where(cents <= 1_000_000, 100_000, np.where(cents <= 100_000_000, 1_000_000, 10_000_000))
    return (-(-cents // unit) * unit).astype(np.int64)


def _daily(acct, day, amount) -> dict:
    """Sum entries per account and day, sorted by account then day."""
    key = acct.astype(np.int64) * (1 << 20) + day + 1
    keys, inverse = np.unique(key, return_inverse=True)
    exact = np.zeros(len(keys), dtype=np.int64)
    np.add.at(exact, inverse, amount.astype(np.int64))
    return {"acct": keys >> 20, "day": (keys & ((1 << 20) - 1)) - 1, "amount": exact}


def _group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    total = np.cumsum(values)
    starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
    offset = np.repeat(total[starts] - values[starts], np.diff(np.append(starts, len(values))))
    return total - offset


def _group_cummin(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running minimum within consecutive groups (vectorised: offset each group far below the
    previous one so a global running minimum never crosses a group boundary)."""
    if not len(values):
        return values
    starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
    gid = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    span = int(np.abs(values).max()) * 2 + 1
    shifted = values - gid * span
    return np.minimum.accumulate(shifted) + gid * span


def _group_shift(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The previous value within the group (0 at a group's first row)."""
    out = np.empty_like(values)
    out[0:1] = 0
    out[1:] = np.where(group[1:] == group[:-1], values[:-1], 0)
    return out


def _client_of(acct: np.ndarray, by_type: np.ndarray) -> np.ndarray:
    """Chunk position of each account's client."""
    flat = by_type.ravel()
    owners = np.repeat(np.arange(len(by_type)), by_type.shape[1])
    valid = flat >= 0
    order = np.argsort(flat[valid])
    return owners[valid][order][np.searchsorted(flat[valid][order], acct)]
