"""The demo's two campaigns, run the way a branch would run them: one finished, one running.

Everything goes through the product's own paths — nothing here decides who is targeted, who is
suitable, who converted or what the hit rate is:

1. the branch manager saves a segment (``clients.Segment``) and creates each campaign on it;
2. ``campaigns.services.build_targets`` builds the target list as of the campaign's first day
   (the suitability gate, the exclusions, the target-client model, the control group), and
   ``start_campaign`` starts it that day;
3. the advisors log what came of their calls through ``campaigns.outcomes.log_campaign_contact``
   (an interaction against the campaign, the client's risk level kept) on days inside the window;
4. the clients' purchases of the campaign's product arrive as a trading extract
   (``transactions.csv``, loaded by ``imports.import_folder``) — clients who said they were
   interested buy more often than those who were only reached, and the control group buys at
   the book's base rate;
5. the as-of night's ``run_nightly`` then marks the conversions from those trades and finishes
   the campaign whose window has closed (``campaigns.conversions``).

Deterministic for a given seed and as-of day; a second call finds the campaigns and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import time_machine
from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from advisors.models import Advisor
from campaigns.models import Campaign, CampaignTarget
from campaigns.outcomes import log_campaign_contact
from campaigns.services import build_targets, start_campaign
from clients.models import Account, Client, Segment, Transaction
from demo.context import CHINA
from imports.service import Outcome, import_folder
from products.models import Product

EXTRACT_PREFIX = "crm-demo-campaigns-"
# Who does what in the demo: the branch manager runs both campaigns.
MANAGER = "branch_manager"


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    description: str
    starts: int  # days before the as-of day
    ends: int  # days after the as-of day (negative: before)
    worked: float  # share of the worked targets the advisors have reached by the as-of day
    target_limit: int | None
    advisor_cap: int | None


PLANS = (
    Plan(
        "DEMO-2026-Q3",
        "稳健理财季度推介",
        "面向成熟客户推介稳健的固定收益类产品。",
        starts=100,
        ends=-35,
        worked=0.85,
        target_limit=400,
        advisor_cap=80,
    ),
    Plan(
        "DEMO-2026-Q4",
        "年末基金配置活动",
        "年末为客户做基金配置，顾问逐一电话沟通。",
        starts=24,
        ends=40,
        worked=0.45,
        target_limit=400,
        advisor_cap=80,
    ),
)

# What an advisor's call came to, and how likely each is (a worked target).
OUTCOMES = (("contacted", 0.45), ("interested", 0.25), ("declined", 0.18), ("unreachable", 0.12))
CHANNELS, CHANNEL_WEIGHTS = ("call", "wechat", "meeting"), (0.75, 0.2, 0.05)
SUMMARIES = {
    "contacted": "电话介绍了产品，客户表示会考虑。",
    "interested": "客户对产品感兴趣，约定再沟通认购事宜。",
    "declined": "客户表示暂不考虑。",
    "unreachable": "电话未接通。",
}
# How likely a target is to buy the product inside the window, by what the advisor recorded;
# "pending" targets were never reached, and control targets were never approached.
BUY_RATE = {"interested": 0.55, "contacted": 0.16, "declined": 0.02, "unreachable": 0.05, "pending": 0.05}
CONTROL_BUY_RATE = 0.05


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _product(kind: tuple[str, ...], starts: dt.date, ends: dt.date, exclude: set[int]) -> Product | None:
    """An on-sale product of one of the ``kind`` types, open to ordinary investors without an
    access threshold, on sale through the window — the one most clients bought in the year
    before (a product the branch knows sells)."""
    year_before = starts - dt.timedelta(days=365)
    candidates = (
        Product.objects.filter(
            status=Product.Status.ON_SALE,
            product_type__in=kind,
            professional_only=False,
            access_min_assets__isnull=True,
            risk_level__in=("R2", "R3"),
        )
        .filter(Q(launch_date__isnull=True) | Q(launch_date__lte=starts))
        .filter(Q(maturity_date__isnull=True) | Q(maturity_date__gt=ends))
        .exclude(pk__in=exclude)
        .annotate(
            buyers=Count(
                "transactions__client",
                distinct=True,
                filter=Q(transactions__trade_date__gte=year_before, transactions__trade_date__lt=starts),
            )
        )
        .order_by("-buyers", "code")
    )
    return candidates.first()


def seed_campaigns(as_of: dt.date, seed: int = 1) -> dict[str, int]:
    """Create, build, start and work the demo's campaigns, and load their clients' purchases."""
    if Campaign.objects.filter(code__in=[plan.code for plan in PLANS]).exists():
        return {}
    manager = get_user_model().objects.get(username=MANAGER)
    unit = Advisor.objects.select_related("org_unit").get(user=manager).org_unit
    segment, _ = Segment.objects.get_or_create(
        name="新开、成长及成熟期客户（资产1万元以上）",
        owner=manager,
        defaults={
            "description": "新开户、成长期和成熟期客户，总资产1万元以上。",
            "criteria": {"lifecycle_stage": ["new", "growing", "mature"], "assets_min": "10000"},
            "org_unit": unit,
        },
    )
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    trades: list[dict] = []
    used: set[int] = set()
    kinds = (("wealth_product", "bond_fund", "money_fund"), ("mixed_fund", "equity_fund", "bond_fund", "index_fund"))
    for plan, kind in zip(PLANS, kinds, strict=True):
        starts = _weekday_on_or_before(as_of - dt.timedelta(days=plan.starts))
        ends = as_of + dt.timedelta(days=plan.ends)
        product = _product(kind, starts, ends, used) or _product(tuple(Product.ProductType.values), starts, ends, used)
        if product is None:
            continue
        used.add(product.pk)
        morning = dt.datetime.combine(starts, dt.time(9, 0), tzinfo=CHINA)
        with time_machine.travel(morning, tick=False):
            campaign = Campaign.objects.create(
                code=plan.code,
                name=plan.name,
                description=plan.description,
                product=product,
                segment=segment,
                org_unit=unit,
                starts_on=starts,
                ends_on=ends,
                target_limit=plan.target_limit,
                advisor_cap=plan.advisor_cap,
                control_share=Decimal("0.10"),
                created_by=manager,
            )
            build_targets(campaign, by=manager, today=starts)
            start_campaign(campaign, by=manager, today=starts)
        worked_until = min(ends, as_of - dt.timedelta(days=1))
        counts[f"{plan.code} outcomes"] = _work(campaign, plan, starts, worked_until, rng)
        trades.extend(_purchases(campaign, starts, worked_until, rng))
        counts[f"{plan.code} targets"] = campaign.targets.count()
    counts["purchases"] = _load_purchases(trades, as_of)
    return counts


def _work(campaign: Campaign, plan: Plan, starts: dt.date, until: dt.date, rng: np.random.Generator) -> int:
    """The advisors reach ``plan.worked`` of their targets, best-scored first, on days of the window."""
    targets = list(
        CampaignTarget.objects.filter(campaign=campaign, control=False, advisor__user__isnull=False)
        .select_related("advisor__user", "client")
        .order_by("rank", "pk")
    )
    reached = targets[: round(len(targets) * plan.worked)]
    span = max((until - starts).days, 0)
    names, weights = zip(*OUTCOMES, strict=True)
    logged = 0
    for target in reached:
        outcome = str(rng.choice(names, p=weights))
        day = starts + dt.timedelta(days=int(rng.integers(0, span + 1)))
        when = dt.datetime.combine(day, dt.time(int(rng.integers(9, 17)), int(rng.integers(0, 60))), tzinfo=CHINA)
        with time_machine.travel(when + dt.timedelta(minutes=5), tick=False):
            log_campaign_contact(
                target=target,
                by=target.advisor.user,
                channel=str(rng.choice(CHANNELS, p=CHANNEL_WEIGHTS)),
                summary=SUMMARIES[outcome],
                outcome=outcome,
                occurred_at=when,
            )
        logged += 1
    return logged


def _purchases(campaign: Campaign, starts: dt.date, until: dt.date, rng: np.random.Generator) -> list[dict]:
    """Who bought the product inside the window, as trades (one per buyer)."""
    targets = pd.DataFrame(
        CampaignTarget.objects.filter(campaign=campaign).values("client_id", "status", "control", "contacted_at")
    )
    if targets.empty or until < starts:
        return []
    rate = np.where(targets["control"], CONTROL_BUY_RATE, targets["status"].map(BUY_RATE).fillna(0.05))
    buyers = targets[rng.random(len(targets)) < rate]
    accounts = dict(
        Account.objects.filter(client_id__in=buyers["client_id"].tolist(), status=Account.Status.ACTIVE)
        .order_by("client_id", "-account_type", "account_no")
        .values_list("client_id", "account_no")
    )
    clients = dict(Client.objects.filter(pk__in=buyers["client_id"].tolist()).values_list("pk", "client_no"))
    product = campaign.product
    side = Transaction.Side.SUBSCRIBE if product.product_type != "stock" else Transaction.Side.BUY
    rows = []
    for buyer in buyers.itertuples():
        account = accounts.get(buyer.client_id)
        if account is None:
            continue
        first = starts
        if not pd.isna(buyer.contacted_at):  # after the call
            first = max(first, buyer.contacted_at.tz_convert(CHINA).date())
        span = max((until - first).days, 0)
        day = first + dt.timedelta(days=int(rng.integers(0, span + 1)))
        amount = Decimal(int(rng.integers(2, 41)) * 5000)
        rows.append(
            {
                "trade_id": f"{campaign.code}-{clients[buyer.client_id]}",
                "account_no": account,
                "product_code": product.code,
                "trade_date": day.isoformat(),
                "side": side,
                "quantity": f"{amount:.4f}",
                "price": "1.0000",
                "amount": f"{amount:.2f}",
                "commission": "0.00",
                "channel": Transaction.Channel.ADVISOR,
            }
        )
    return rows


def _load_purchases(trades: list[dict], as_of: dt.date) -> int:
    """The purchases arrive as the trading system sends them: a ``transactions.csv``."""
    if not trades:
        return 0
    evening = dt.datetime.combine(as_of, dt.time(20, 0), tzinfo=CHINA)
    with time_machine.travel(evening, tick=True), tempfile.TemporaryDirectory(prefix=EXTRACT_PREFIX) as tmp:
        folder = Path(tmp) / f"{as_of.isoformat()}-campaigns"
        folder.mkdir()
        pd.DataFrame(trades).to_csv(folder / "transactions.csv", index=False)
        result = import_folder(folder)
    if result.status not in (Outcome.SUCCEEDED, Outcome.ALREADY_IMPORTED):
        problems = "; ".join(str(error) for error in result.errors[:5])
        raise RuntimeError(f"the import refused the demo's campaign purchases ({result.status}): {problems}")
    return len(trades)
