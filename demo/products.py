"""The product shelf and its prices: stocks (A-share-like codes), ETFs, bonds, mutual funds from
money funds to QDII, the firm's own wealth products (收益凭证) and asset-management plans with
maturities, structured notes and private funds — each with the risk level, horizon and variety
suitability matches on — plus a daily price path per product over the window and the dividend
and coupon events the trading stage pays out.

Prices are integers in ten-thousandths of a yuan (the ``price`` column's four decimals);
stocks move in 0.01 ticks, ETFs and bonds in 0.001, fund NAVs in 0.0001.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from demo.columns import Bools, Dates, Decimals, Ints, Labels, Texts
from demo.context import Context
from demo.org import FIRM
from products.models import Product

TYPES = (
    "money_fund", "bond_fund", "mixed_fund", "equity_fund", "qdii_fund", "etf",
    "stock", "bond", "wealth_product", "asset_mgmt_plan", "structured", "private_fund",
)  # fmt: skip
T = {name: i for i, name in enumerate(TYPES)}
EXCHANGE_TYPES = {"stock", "etf", "bond"}
CLOSED_END_TYPES = {"wealth_product", "asset_mgmt_plan", "structured"}

# Which kinds of product a client of each risk tolerance (C1 … C5) reaches for, by weight.
PREFERENCE = np.array(
    [
        # money bond  mixed equity qdii  etf   stock bond  wealth amp  struct private
        [0.75, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.05, 0.20, 0.00, 0.00, 0.00],  # C1
        [0.25, 0.30, 0.00, 0.00, 0.00, 0.05, 0.00, 0.05, 0.20, 0.15, 0.00, 0.00],  # C2
        [0.08, 0.12, 0.15, 0.00, 0.00, 0.10, 0.40, 0.02, 0.08, 0.05, 0.00, 0.00],  # C3
        [0.05, 0.05, 0.10, 0.10, 0.03, 0.10, 0.45, 0.00, 0.04, 0.05, 0.03, 0.00],  # C4
        [0.04, 0.03, 0.05, 0.08, 0.04, 0.10, 0.50, 0.00, 0.00, 0.04, 0.05, 0.07],  # C5
    ]
)
TRADER_PREFERENCE = np.zeros(len(TYPES))
TRADER_PREFERENCE[T["stock"]], TRADER_PREFERENCE[T["etf"]] = 0.85, 0.15

FUND_HOUSES = (
    "易方达", "华夏", "南方", "嘉实", "广发", "富国", "汇添富", "博时", "招商", "工银瑞信",
    "鹏华", "景顺长城", "中欧", "交银施罗德", "兴证全球", "华安",
)  # fmt: skip
STOCK_HEADS = (
    "华创", "中科", "天元", "海联", "东方", "金鼎", "新宇", "长江", "恒信", "国邦", "瑞丰", "博雅", "同力",
    "星河", "远大", "宏达", "正泰", "安信", "明阳", "凯润", "德尔", "华峰", "三友", "中航", "天润", "金风",
    "光启", "泰和", "永安", "申达", "浙富", "苏宁", "川能", "湘电", "闽发", "粤海", "京能", "沪工", "鲁阳",
    "晋控", "皖通", "豫光", "冀中", "辽港", "赣锋", "桂冠", "滇红", "黔源", "陕鼓", "甘化",
)  # fmt: skip
STOCK_TAILS = (
    "科技", "股份", "医药", "电子", "银行", "证券", "能源", "材料", "智能", "新材", "电气", "食品", "环保",
    "汽车", "生物", "信息", "传媒", "重工", "化工", "物流", "地产", "控股", "光电", "精密", "软件", "通信",
)  # fmt: skip
ETFS = (  # code, name, issuer, risk, variety, price, vol, pays dividends
    ("510300", "沪深300ETF", "华泰柏瑞基金", 3, "equity", 4.0, 0.20, False),
    ("510500", "中证500ETF", "南方基金", 3, "equity", 6.0, 0.24, False),
    ("510050", "上证50ETF", "华夏基金", 3, "equity", 2.7, 0.19, False),
    ("159919", "沪深300ETF嘉实", "嘉实基金", 3, "equity", 4.1, 0.20, False),
    ("512100", "中证1000ETF", "南方基金", 4, "equity", 2.4, 0.28, False),
    ("159915", "创业板ETF", "易方达基金", 4, "equity", 2.1, 0.30, False),
    ("588000", "科创50ETF", "华夏基金", 4, "equity", 1.0, 0.32, False),
    ("512880", "证券ETF", "国泰基金", 4, "equity", 1.0, 0.30, False),
    ("512480", "半导体ETF", "国联安基金", 4, "equity", 1.1, 0.35, False),
    ("512170", "医疗ETF", "华宝基金", 4, "equity", 0.45, 0.28, False),
    ("515030", "新能源车ETF", "华夏基金", 4, "equity", 1.3, 0.33, False),
    ("512690", "酒ETF", "鹏华基金", 4, "equity", 0.7, 0.28, False),
    ("510880", "红利ETF", "华泰柏瑞基金", 3, "equity", 3.1, 0.14, True),
    ("159920", "恒生ETF", "华夏基金", 4, "equity", 1.2, 0.24, False),
    ("513100", "纳指ETF", "国泰基金", 4, "equity", 1.5, 0.24, False),
    ("513500", "标普500ETF", "博时基金", 4, "equity", 1.8, 0.18, False),
    ("518880", "黄金ETF", "华安基金", 3, "mixed", 5.5, 0.15, False),
    ("511010", "国债ETF", "国泰基金", 2, "fixed_income", 130.0, 0.02, False),
    ("511260", "十年国债ETF", "国泰基金", 2, "fixed_income", 115.0, 0.03, False),
)
PRIVATE_MANAGERS = ("远航投资", "明德资产", "恒泰私募", "云杉资本", "青松资产", "清溪投资", "长风资本", "致远私募")


@dataclass
class Shelf:
    """The products, their attributes as arrays, and their daily prices."""

    ids: np.ndarray
    codes: list[str]
    names: list[str]
    type_idx: np.ndarray  # index into TYPES
    risk: np.ndarray  # 1..5
    professional_only: np.ndarray
    min_investment: np.ndarray  # cents
    access_min: np.ndarray  # cents, 0 = none
    unit: np.ndarray  # trading unit in hundredths of a share
    prices: np.ndarray  # (products, days) ten-thousandths of a yuan
    pre_price: np.ndarray  # price paid for holdings bought before the window
    pre_ok: np.ndarray  # can be held at the window's start
    buy_lo: np.ndarray  # first and last trading-day index a buy is possible
    buy_hi: np.ndarray
    maturity_idx: np.ndarray  # trading-day index of the redemption at maturity; NEVER if after as-of
    maturity_date: np.ndarray  # datetime64[D], NaT if none
    buy_fee: np.ndarray  # commission rate on buys / subscriptions
    sell_fee: np.ndarray
    min_fee: np.ndarray  # minimum commission, cents
    div_product: np.ndarray  # dividend and coupon events: product index, ex day index, per unit
    div_day: np.ndarray
    div_per_share: np.ndarray  # ten-thousandths of a yuan per share
    pools: list[list[np.ndarray]]  # [type][level-1] → product indices a client may buy
    pre_pools: list[list[np.ndarray]]

    NEVER = 1 << 30

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class _Draft:
    code: str
    name: str
    kind: str
    issuer: str
    risk: int
    horizon: str
    variety: str
    price: float  # at the start of the window (or at launch)
    vol: float
    drift: float
    launch: dt.date | None
    maturity: dt.date | None = None
    min_investment: int = 0  # yuan
    access_min: int = 0
    professional_only: bool = False
    dual_recording: bool = False
    dividend: str = ""  # "", annual, quarterly, monthly, coupon
    final: float = 0.0  # closed-end: NAV at maturity
    buy_fee: float = 0.0
    sell_fee: float = 0.0


def _unique_codes(rng, lo: int, hi: int, n: int, taken: set[int]) -> list[int]:
    out: list[int] = []
    while len(out) < n:
        for c in rng.integers(lo, hi, size=n * 2).tolist():
            if c not in taken and len(out) < n:
                taken.add(c)
                out.append(c)
    return out


def _drafts(ctx: Context, rng: np.random.Generator) -> list[_Draft]:
    cal = ctx.calendar
    start, as_of = cal.start, cal.as_of
    drafts: list[_Draft] = []

    def past(years_lo: float, years_hi: float) -> dt.date:
        return start - dt.timedelta(days=int(rng.uniform(years_lo, years_hi) * 365))

    # --- stocks -------------------------------------------------------------------------
    taken: set[int] = set()
    boards = [
        ("sh", 600000, 606000, 105),
        ("sz", 1, 4000, 90),
        ("gem", 300001, 301600, 60),
        ("star", 688001, 688800, 45),
    ]
    names: set[str] = set()
    for board, lo, hi, count in boards:
        for code in _unique_codes(rng, lo, hi, count, taken):
            while True:
                name = str(rng.choice(STOCK_HEADS)) + str(rng.choice(STOCK_TAILS))
                if name not in names:
                    names.add(name)
                    break
            st = board in ("sh", "sz") and rng.random() < 0.04
            risk = 5 if st else (4 if board in ("gem", "star") else 3)
            ipo_in_window = board in ("gem", "star") and rng.random() < 0.1
            launch = start + dt.timedelta(days=int(rng.integers(20, 600))) if ipo_in_window else past(0.5, 25)
            price = float(np.clip(rng.lognormal(np.log(13), 0.75), 2.5, 400))
            if rng.random() < 0.01:
                price = float(rng.uniform(800, 1800))
            drafts.append(
                _Draft(
                    code=f"{code:06d}",
                    name=("*ST" if st and rng.random() < 0.5 else "ST" if st else "") + name,
                    kind="stock",
                    issuer=f"{name}股份有限公司",
                    risk=risk,
                    horizon="short",
                    variety="equity",
                    price=price,
                    vol=float(rng.uniform(0.25, 0.4) + (0.1 if risk >= 4 else 0)),
                    drift=float(rng.normal(0.04, 0.08)),
                    launch=launch,
                    access_min={"star": 500_000, "gem": 100_000}.get(board, 0),
                    dividend="annual" if not st and rng.random() < 0.65 else "",
                )
            )
    # --- ETFs and bonds -----------------------------------------------------------------
    for code, name, issuer, risk, variety, price, vol, pays in ETFS:
        drafts.append(
            _Draft(
                code,
                name,
                "etf",
                issuer,
                risk,
                "short",
                variety,
                price * float(rng.uniform(0.9, 1.1)),
                vol,
                0.04,
                past(2, 12),
                dividend="annual" if pays else "",
            )
        )
    for k in range(6):
        year = start.year - int(rng.integers(0, 4))
        coupon = float(rng.uniform(2.2, 3.2))
        drafts.append(
            _Draft(
                f"019{k * 37 + 501:03d}",
                f"{year % 100}国债{k + 1:02d}",
                "bond",
                "中华人民共和国财政部",
                1,
                "medium",
                "fixed_income",
                float(rng.uniform(99, 104)),
                0.02,
                0.0,
                dt.date(year, int(rng.integers(1, 12)), 15),
                maturity=dt.date(max(year + int(rng.choice([5, 7, 10])), as_of.year + 1), 6, 15),
                dividend="coupon",
                final=coupon,
            )
        )
    for k in range(4):
        year = start.year - int(rng.integers(0, 3))
        issuer = ["城投控股", "交通建设", "能源集团", "电力投资"][k]
        drafts.append(
            _Draft(
                f"1240{k * 11 + 10:02d}",
                f"{year % 100}{issuer[:2]}债{k + 1:02d}",
                "bond",
                f"{issuer}有限公司",
                2 if k < 2 else 3,
                "medium",
                "fixed_income",
                float(rng.uniform(98, 103)),
                0.03,
                0.0,
                dt.date(year, int(rng.integers(1, 12)), 10),
                maturity=dt.date(max(year + 5, as_of.year + 1), 3, 10),
                dividend="coupon",
                final=float(rng.uniform(3.0, 4.5)),
            )
        )
    # --- mutual funds -------------------------------------------------------------------
    fund_codes = iter(_unique_codes(rng, 6000, 19000, 60, set()))
    houses = list(FUND_HOUSES)
    fund_kinds = (  # kind, count, name patterns, risk, horizon, variety, vol, drift, buy fee, sell fee, dividend
        ("money_fund", 6, ("货币A", "现金宝货币", "天天利货币B"), 1, "short", "cash", 0, 0.0, 0, 0, "monthly"),
        (
            "bond_fund",
            12,
            ("纯债债券A", "信用增利债券", "短债债券A", "双债增强债券"),
            2,
            "medium",
            "fixed_income",
            0.025,
            0.035,
            0.0008,
            0.0,
            "quarterly",
        ),
        (
            "mixed_fund",
            14,
            ("稳健配置混合", "价值精选混合", "均衡成长混合", "优势企业混合"),
            3,
            "medium",
            "mixed",
            0.18,
            0.05,
            0.0015,
            0.005,
            "",
        ),
        (
            "equity_fund",
            12,
            ("消费行业股票", "医疗健康股票", "新兴产业股票", "沪深300指数增强A"),
            4,
            "medium",
            "equity",
            0.23,
            0.06,
            0.0015,
            0.005,
            "",
        ),
        (
            "qdii_fund",
            4,
            ("纳斯达克100指数(QDII)", "全球医疗保健(QDII)", "港股通精选(QDII)", "标普500指数(QDII)"),
            4,
            "medium",
            "equity",
            0.22,
            0.06,
            0.0015,
            0.005,
            "",
        ),
    )
    for kind, count, patterns, risk, horizon, variety, vol, drift, buy_fee, sell_fee, dividend in fund_kinds:
        for k in range(count):
            house = houses[int(rng.integers(len(houses)))]
            drafts.append(
                _Draft(
                    f"{next(fund_codes):06d}",
                    f"{house}{patterns[k % len(patterns)]}",
                    kind,
                    f"{house}基金管理有限公司",
                    risk,
                    horizon,
                    variety,
                    1.0 if kind == "money_fund" else float(rng.uniform(0.9, 3.2)),
                    vol,
                    drift,
                    past(1, 15),
                    min_investment=10 if kind == "money_fund" else 100,
                    dividend=dividend if kind != "bond_fund" or k % 2 == 0 else "",
                    buy_fee=buy_fee,
                    sell_fee=sell_fee,
                )
            )
    # --- the firm's products, with maturities -------------------------------------------
    horizon_days = (as_of - start).days
    closed = []
    for k in range(24):
        term = int(rng.choice([91, 182, 273, 365]))
        launch = as_of - dt.timedelta(days=int(rng.uniform(-15, horizon_days + term * 0.5)))
        closed.append(
            _Draft(
                f"SD{k + 101:04d}",
                f"{FIRM}鼎{'盈益祥'[k % 3]}{k + 1}号收益凭证",
                "wealth_product",
                FIRM,
                1 if k % 3 else 2,
                "short",
                "fixed_income",
                1.0,
                0.0,
                0.0,
                launch,
                maturity=launch + dt.timedelta(days=term),
                min_investment=50_000,
                final=1 + float(rng.uniform(0.02, 0.032)) * term / 365,
            )
        )
    for k in range(12):
        term = int(rng.choice([365, 730, 1095]))
        launch = as_of - dt.timedelta(days=int(rng.uniform(30, horizon_days + term * 0.6)))
        risk = (2, 3, 4)[k % 3]
        minimum = (300_000, 400_000, 1_000_000)[k % 3]
        closed.append(
            _Draft(
                f"ZG{k + 201:04d}",
                f"{FIRM}资管鼎鑫{k + 1}号集合资产管理计划",
                "asset_mgmt_plan",
                f"{FIRM}资产管理有限公司",
                risk,
                "medium",
                ("fixed_income", "mixed", "equity")[k % 3],
                1.0,
                0.0,
                0.0,
                launch,
                maturity=launch + dt.timedelta(days=term),
                min_investment=minimum,
                access_min=minimum,
                dual_recording=risk >= 4,
                final=1 + float(rng.uniform(0.0, 0.07 * risk / 2)) * term / 365,
            )
        )
    for k in range(8):
        term = int(rng.choice([365, 548, 730]))
        launch = as_of - dt.timedelta(days=int(rng.uniform(30, horizon_days + term * 0.5)))
        snowball = k % 2 == 0
        outcome = float(rng.uniform(0.10, 0.16)) * term / 365 if rng.random() < 0.75 else -float(rng.uniform(0.1, 0.3))
        closed.append(
            _Draft(
                f"JG{k + 301:04d}",
                f"{FIRM}鼎赢{'中证500雪球' if snowball else '沪深300鲨鱼鳍'}{k + 1}号收益凭证",
                "structured",
                FIRM,
                5 if snowball else 3,
                "medium",
                "complex" if snowball else "derivatives",
                1.0,
                0.0,
                0.0,
                launch,
                maturity=launch + dt.timedelta(days=term),
                min_investment=1_000_000 if snowball else 100_000,
                access_min=1_000_000 if snowball else 0,
                dual_recording=snowball,
                final=1 + (outcome if snowball else float(rng.uniform(0.015, 0.06)) * term / 365),
            )
        )
    # A few maturing within the next 30 days, and two not launched yet.
    for draft, days_ahead in zip(closed[:3] + closed[24:26] + closed[36:37], (5, 12, 26, 9, 21, 17), strict=True):
        term = (draft.maturity - draft.launch).days
        draft.maturity = as_of + dt.timedelta(days=days_ahead)
        draft.launch = draft.maturity - dt.timedelta(days=term)
    for draft in closed[3:5]:
        term = (draft.maturity - draft.launch).days
        draft.launch = as_of + dt.timedelta(days=int(rng.integers(3, 10)))
        draft.maturity = draft.launch + dt.timedelta(days=term)
    drafts.extend(closed)
    for k in range(8):
        manager = PRIVATE_MANAGERS[k]
        drafts.append(
            _Draft(
                f"S{'ABCDEFGH'[k]}{'KLMNPQRT'[k]}{int(rng.integers(100, 999))}",
                f"{manager}成长{k + 1}号私募证券投资基金",
                "private_fund",
                f"{manager}管理有限公司",
                5,
                "long",
                "equity",
                float(rng.uniform(0.9, 2.2)),
                0.25,
                0.07,
                past(0.5, 6),
                min_investment=1_000_000,
                access_min=1_000_000,
                professional_only=True,
                dual_recording=True,
                buy_fee=0.01,
            )
        )
    return drafts


def build_products(ctx: Context) -> Shelf:
    rng = ctx.rng("products")
    cal = ctx.calendar
    drafts = _drafts(ctx, rng)
    n, days = len(drafts), cal.n
    kind = np.array([T[d.kind] for d in drafts])
    launch = np.array([np.datetime64(d.launch, "D") if d.launch else np.datetime64("NaT") for d in drafts])
    maturity = np.array([np.datetime64(d.maturity, "D") if d.maturity else np.datetime64("NaT") for d in drafts])
    # Trading-day index of the launch: negative before the window, n after the as-of day.
    launch_idx = np.where(launch < cal.days[0], -1000, cal.on_or_after(launch))
    closed_end = np.isin(kind, [T[k] for k in CLOSED_END_TYPES])
    is_exchange = np.isin(kind, [T[k] for k in EXCHANGE_TYPES])

    # --- prices -------------------------------------------------------------------------
    market = rng.standard_normal(days)
    beta = np.where(kind == T["stock"], rng.uniform(0.5, 0.8, n), 0.6)
    vol = np.array([d.vol for d in drafts])
    drift = np.array([d.drift for d in drafts])
    shocks = beta[:, None] * market[None, :] + np.sqrt(1 - beta**2)[:, None] * rng.standard_normal((n, days))
    returns = (drift - vol**2 / 2)[:, None] / 252 + (vol / np.sqrt(252))[:, None] * shocks
    returns = np.clip(returns, -0.095, 0.095)  # the daily price limit
    returns[:, 0] = 0
    start_price = np.array([d.price for d in drafts])
    path = start_price[:, None] * np.exp(np.cumsum(returns, axis=1))
    # Closed-end products: NAV accrues linearly from 1 at launch to the final value at maturity.
    day_numbers = cal.days.astype(np.int64)
    for i in np.flatnonzero(closed_end):
        d = drafts[i]
        total = (d.maturity - d.launch).days
        elapsed = np.clip(day_numbers - np.datetime64(d.launch, "D").astype(np.int64), 0, total)
        path[i] = 1 + (d.final - 1) * elapsed / total
    tick = np.where(kind == T["stock"], 100, np.where(is_exchange, 10, 1))
    prices = (np.round(path * 10_000 / tick[:, None]) * tick[:, None]).astype(np.int64)
    prices = np.maximum(prices, tick[:, None])
    prices[kind == T["money_fund"]] = 10_000
    pre_price = np.where(
        closed_end | (kind == T["money_fund"]),
        np.where(closed_end, 10_000, prices[:, 0]),
        (np.round(prices[:, 0] * rng.lognormal(-0.03, 0.2, n) / tick) * tick).astype(np.int64),
    ).astype(np.int64)
    pre_price = np.maximum(pre_price, tick)

    # --- when each can be bought and held -----------------------------------------------
    never = Shelf.NEVER
    maturity_idx = np.where(
        np.isnat(maturity) | (maturity > np.datetime64(cal.as_of)), never, cal.on_or_after(maturity)
    )
    maturity_idx = np.where(np.isin(kind, [T["bond"]]), never, maturity_idx)  # bonds mature after the window
    buy_lo = np.where(launch_idx > 0, launch_idx, 0)
    buy_hi = np.where(closed_end, np.minimum(launch_idx + 9, days - 1), days - 1)
    buy_hi = np.minimum(buy_hi, np.where(maturity_idx < never, maturity_idx - 1, days - 1))
    pre_ok = (launch < cal.days[0]) & ((maturity_idx >= 1) | ~closed_end)
    unit = np.select([kind == T["stock"], kind == T["etf"], kind == T["bond"]], [10_000, 10_000, 1_000], 1)
    min_fee = np.select([np.isin(kind, [T["stock"], T["etf"]]), kind == T["bond"]], [500, 100], 0)

    # --- dividends and coupons -------------------------------------------------------------
    div_p, div_d, div_x = [], [], []
    month_ends = cal.month_end_idx
    months = cal.days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    years = cal.days.astype("datetime64[Y]").astype(np.int64) + 1970
    for i, d in enumerate(drafts):
        if not d.dividend:
            continue
        if d.dividend == "monthly":  # money funds: income carried over quarterly here, to keep the rows few
            ex = month_ends[np.isin(months[month_ends], [3, 6, 9, 12])]
            per = np.full(len(ex), round(10_000 * rng.uniform(0.014, 0.02) / 4))
        elif d.dividend == "quarterly":
            ex = month_ends[np.isin(months[month_ends], [3, 6, 9, 12])]
            per = np.round(prices[i, ex] * 0.03 / 4).astype(np.int64)
        elif d.dividend == "coupon":
            dates = [dt.date(y, d.launch.month, d.launch.day) for y in range(cal.start.year, cal.as_of.year + 1)]
            dates = [x for x in dates if cal.start <= x <= cal.as_of]
            ex = cal.on_or_after(dates) if dates else np.zeros(0, dtype=np.int64)
            per = np.full(len(ex), round(d.final * 10_000))
        else:  # annual: stocks in June–July, the dividend ETF in January
            ex = []
            for y in np.unique(years):
                window = np.flatnonzero(
                    (years == y) & (np.isin(months, [1]) if d.kind == "etf" else np.isin(months, [6, 7]))
                )
                if len(window):
                    ex.append(int(window[int(rng.integers(len(window)))]))
            ex = np.array(ex, dtype=np.int64)
            per = np.round(prices[i, ex] * rng.uniform(0.005, 0.035, len(ex)) / 10).astype(np.int64) * 10
        keep = (ex >= max(1, launch_idx[i] + 1)) & (ex < min(days, maturity_idx[i]))
        div_p.append(np.full(keep.sum(), i))
        div_d.append(np.asarray(ex)[keep])
        div_x.append(np.maximum(np.asarray(per)[keep], 1))

    # --- status, and the rows -------------------------------------------------------------
    as_of = np.datetime64(cal.as_of, "D")
    status = np.where(
        launch > as_of,
        "pre_launch",
        np.where(
            closed_end & (maturity <= as_of),
            "matured",
            np.where(closed_end & (buy_hi < days - 1), "closed", "on_sale"),
        ),
    )
    nav_known = launch <= as_of
    first = ctx.writer.next_id(Product)
    ids = np.arange(first, first + n, dtype=np.int64)
    min_inv = np.array([d.min_investment for d in drafts], dtype=np.int64) * 100
    access = np.array([d.access_min for d in drafts], dtype=np.int64) * 100
    ctx.writer.write(
        Product,
        {
            "id": Ints(ids),
            "code": Texts([d.code for d in drafts]),
            "name": Texts([d.name for d in drafts]),
            "product_type": Labels.of(np.array([d.kind for d in drafts])),
            "issuer": Texts([d.issuer for d in drafts]),
            "risk_level": Labels.of(np.array([f"R{d.risk}" for d in drafts])),
            "horizon": Labels.of(np.array([d.horizon for d in drafts])),
            "variety": Labels.of(np.array([d.variety for d in drafts])),
            "min_investment": Decimals(min_inv, 2),
            "access_min_assets": Decimals(access, 2, null=access == 0),
            "launch_date": Dates(launch),
            "maturity_date": Dates(maturity),
            "status": Labels.of(status),
            "professional_only": Bools(np.array([d.professional_only for d in drafts])),
            "needs_dual_recording": Bools(np.array([d.dual_recording for d in drafts])),
            "nav": Decimals(prices[:, -1], 4, null=~nav_known),
            "nav_date": Dates(np.where(nav_known, as_of, np.datetime64("NaT"))),
        },
    )
    risk = np.array([d.risk for d in drafts])
    professional_only = np.array([d.professional_only for d in drafts])
    return Shelf(
        ids=ids,
        codes=[d.code for d in drafts],
        names=[d.name for d in drafts],
        type_idx=kind,
        risk=risk,
        professional_only=professional_only,
        min_investment=min_inv,
        access_min=access,
        unit=unit.astype(np.int64),
        prices=prices,
        pre_price=pre_price,
        pre_ok=pre_ok,
        buy_lo=buy_lo.astype(np.int64),
        buy_hi=buy_hi.astype(np.int64),
        maturity_idx=maturity_idx.astype(np.int64),
        maturity_date=maturity,
        buy_fee=np.array([d.buy_fee for d in drafts]),
        sell_fee=np.array([d.sell_fee for d in drafts]),
        min_fee=min_fee.astype(np.int64),
        div_product=np.concatenate(div_p).astype(np.int64),
        div_day=np.concatenate(div_d).astype(np.int64),
        div_per_share=np.concatenate(div_x).astype(np.int64),
        pools=_pools(kind, risk, buy_lo <= buy_hi),
        pre_pools=_pools(kind, risk, pre_ok),
    )


def _pools(kind: np.ndarray, risk: np.ndarray, available: np.ndarray) -> list[list[np.ndarray]]:
    """Per product type and client level: the products at or below that risk level."""
    return [
        [np.flatnonzero((kind == t) & (risk <= level) & available) for level in range(1, 6)] for t in range(len(TYPES))
    ]
