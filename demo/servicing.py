"""The advisors' side of the demo, as facts: interactions (服务记录) over the last year and a
half, households (family ties between clients), and service tickets — the tickets as a plan
(who complains about what, when, and how far it got), opened and moved later through the
tickets app's own workflow (``demo.details``), so their due times, routing and timeline are the
app's. No alerts: every alert is the nightly run's (or the ticket escalation's)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from clients.models import Interaction
from demo.columns import Bools, Dates, Ints, Labels, Stamps, Texts
from demo.context import CHINA, Context, local_to_utc
from demo.org import Org
from demo.people import DAY, NAT, Book
from demo.products import Shelf
from demo.products import T as PRODUCT_TYPE

SUMMARIES = (
    "电话回访：客户关注近期市场波动，已说明持仓情况与风险。",
    "介绍{product}，客户表示会考虑。",
    "提醒风险测评即将到期，约定到营业部重新测评。",
    "客户咨询融资融券开通条件，已告知资产与交易经验要求。",
    "沟通{product}到期后的资金安排，客户倾向续作固收类产品。",
    "推送本周市场观点与{product}产品要素，客户已读。",
    "面谈：梳理家庭资产配置，建议适当提高固收类资产比例。",
    "客户反映APP登录异常，已协助重置并确认恢复。",
    "节日问候，顺带了解客户近期资金需求。",
    "客户询问{product}的费率与赎回规则，已解答。",
)
OUTCOMES = ("reached", "no_answer", "follow_up", "interested", "not_interested", "complaint", "other")
CHANNELS = ("call", "meeting", "visit", "sms", "email", "wechat")
TICKET_TEXT = {  # by ticket kind code; unknown kinds use "other"
    "complaint": (
        "客户投诉服务人员回访过于频繁",
        "客户投诉柜台办理业务等待时间过长",
        "客户对佣金标准调整不满",
        "客户投诉理财产品风险揭示不充分",
    ),
    "inquiry": (
        "客户咨询新股申购额度计算",
        "客户咨询理财产品到期兑付时间",
        "客户反映交易软件行情延迟",
        "客户咨询融资融券开通条件",
    ),
    "account_change": ("客户要求修改预留手机号", "客户要求变更银证转账绑定银行卡", "客户申请修改联系地址"),
    "transfer": ("客户申请转托管至其他券商", "客户申请将账户转入本营业部"),
    "data_correction": ("客户身份证有效期更新", "客户职业信息更正"),
    "other": ("客户要求打印对账单", "客户反映银证转账未到账"),
}


def write_interactions(ctx: Context, org: Org, book: Book, shelf: Shelf) -> None:
    """Calls, meetings and messages over the last 540 days, most of them recent. Some important
    clients have not been contacted for months (contact due), and drifting clients not at all
    lately."""
    rng = ctx.rng("interactions")
    n = len(book)
    as_of = np.datetime64(ctx.as_of, "D")
    customer = ~np.isnat(book.opened) & (book.status != "closed")
    important = book.assets > 5_000_000
    k = np.where(customer & ((rng.random(n) < 0.8) | important), 1 + rng.poisson(np.where(important, 3.0, 1.5)), 0)
    who = np.repeat(np.arange(n), k)
    m = len(who)
    # Days ago: mostly the last half year, a tail back to a year and a half; each client's
    # contacts shifted back by a gap of their own, so some have gone unattended for months.
    gap = np.where(rng.random(n) < 0.2, rng.integers(60, 300, n), 0)
    gap = np.where(book.drifting, np.maximum(gap, 200), gap)
    ago = np.minimum(rng.exponential(90, m).astype(np.int64) + gap[who], 540)
    day = np.busday_offset(as_of - ago * DAY, 0, roll="backward")
    occurred = local_to_utc(day, rng.integers(9 * 3600, 18 * 3600, m))
    channel = np.where(rng.random(m) < 0.6, book.channel[who], np.array(CHANNELS)[rng.integers(0, 6, m)])
    outcome = rng.choice(len(OUTCOMES), size=m, p=[0.5, 0.12, 0.12, 0.12, 0.08, 0.02, 0.04])
    follow = np.isin(outcome, [2, 3])
    next_day = np.where(follow, day + rng.integers(3, 21, m) * DAY, NAT)
    done = follow & (next_day < as_of - 7 * DAY) & (rng.random(m) < 0.7)
    products = np.flatnonzero(shelf.type_idx != PRODUCT_TYPE["stock"])  # talk is of funds and wealth products
    template = rng.integers(0, len(SUMMARIES), m)
    named = rng.choice(products, size=m)
    summary = [
        SUMMARIES[t].format(product=shelf.names[p]) for t, p in zip(template.tolist(), named.tolist(), strict=True)
    ]
    advisor_pos = np.searchsorted(org.advisor_ids, book.advisor[who])
    risk = np.where(book.assessed[who], np.char.add("C", book.level[who].astype(str)), "")
    ctx.writer.write(
        Interaction,
        {
            "client_id": Ints(book.ids[who]),
            "advisor_id": Ints(book.advisor[who]),
            "channel": Labels.of(channel),
            "occurred_at": Stamps(occurred),
            "summary": Texts(summary),
            "outcome": Labels(outcome.astype(np.int64), list(OUTCOMES)),
            "next_follow_up_on": Dates(next_day),
            "follow_up_done": Bools(done),
            "client_risk_level": Labels.of(risk),
            "created_by_id": Ints(org.advisor_user[advisor_pos]),
        },
    )


# --- households ---------------------------------------------------------------------------------


@dataclass
class Household:
    """Family ties between clients of the book: (client, kind, related client) in book positions,
    each tie written from both sides (spouse ↔ spouse, parent ↔ child)."""

    client: np.ndarray
    kind: list[str]
    related: np.ndarray


def plan_households(ctx: Context, book: Book) -> Household:
    """Couples of about the same age in the same branch, and a grown child for some older
    clients."""
    rng = ctx.rng("households")
    people = np.flatnonzero(~book.institution & ~np.isnat(book.birth))
    people = people[rng.permutation(len(people))]
    clients, kinds, related = [], [], []
    taken = np.zeros(len(book), dtype=bool)
    age = (np.datetime64(ctx.as_of, "D") - book.birth).astype("float") / 365.25
    by_branch: dict[int, list[int]] = {}
    for i in people.tolist():
        by_branch.setdefault(int(book.branch[i]), []).append(i)
    for members in by_branch.values():
        members.sort(key=lambda i: age[i])
        # Couples: neighbours in age, of different genders, one in four pairs.
        for a, b in zip(members[0::2], members[1::2], strict=False):
            if taken[a] or taken[b] or book.gender[a] == book.gender[b] or abs(age[a] - age[b]) > 8:
                continue
            if rng.random() < 0.25:
                taken[a] = taken[b] = True
                clients += [a, b]
                kinds += ["spouse", "spouse"]
                related += [b, a]
        # Parents and children: 25 to 40 years apart.
        elders = [i for i in members if age[i] >= 50 and not taken[i]]
        young = [i for i in members if age[i] < 40 and not taken[i]]
        for elder in elders:
            if not young or rng.random() > 0.15:
                continue
            child = next((y for y in young if 25 <= age[elder] - age[y] <= 40 and not taken[y]), None)
            if child is None:
                continue
            taken[elder] = taken[child] = True
            clients += [elder, child]
            kinds += ["child", "parent"]  # the elder's child; the child's parent
            related += [child, elder]
    return Household(np.array(clients, dtype=np.int64), kinds, np.array(related, dtype=np.int64))


# --- tickets ------------------------------------------------------------------------------------


@dataclass
class TicketPlan:
    client: int  # book position
    kind: str  # ticket kind code
    channel: str
    subject: str
    description: str
    opened: dt.datetime  # China time
    path: list[tuple[str, dt.datetime]]  # statuses it is moved to, and when
    satisfaction: int | None


def plan_tickets(ctx: Context, book: Book, kinds: list[tuple[str, str]]) -> list[TicketPlan]:
    """A ticket for about one client in a hundred: ``kinds`` are the configured (code, Chinese
    name) pairs. Older tickets are mostly resolved or closed; a few are left open past their
    due times (the escalation's business)."""
    if not kinds:
        return []
    rng = ctx.rng("tickets")
    customers = np.flatnonzero(~np.isnat(book.opened) & (book.status != "closed"))
    m = min(len(customers), max(6, len(book) // 100))
    who = np.sort(rng.choice(customers, size=m, replace=False))
    now = dt.datetime.combine(ctx.as_of, dt.time(17, 30), tzinfo=CHINA)
    plans = []
    for client in who.tolist():
        code, name = kinds[int(rng.integers(len(kinds)))]
        opened = dt.datetime.combine(
            ctx.as_of - dt.timedelta(days=int(rng.integers(0, 120))),
            dt.time(int(rng.integers(9, 16)), int(rng.integers(0, 60))),
            tzinfo=CHINA,
        )
        age_days = (now - opened).days
        final = str(
            rng.choice(
                ["closed", "resolved", "in_progress", "waiting_client", "assigned"], p=[0.45, 0.15, 0.2, 0.08, 0.12]
            )
            if age_days > 3
            else rng.choice(["in_progress", "assigned"], p=[0.5, 0.5])
        )
        steps = {
            "assigned": [],
            "in_progress": ["in_progress"],
            "waiting_client": ["in_progress", "waiting_client"],
            "resolved": ["in_progress", "resolved"],
            "closed": ["in_progress", "resolved", "closed"],
        }[final]
        moment, path = opened, []
        for status in steps:
            moment = min(now, moment + dt.timedelta(hours=float(rng.uniform(0.5, 30))))
            path.append((status, moment))
        texts = TICKET_TEXT.get(code, TICKET_TEXT["other"])
        text = texts[int(rng.integers(len(texts)))]
        plans.append(
            TicketPlan(
                client=client,
                kind=code,
                channel=str(rng.choice(["phone", "app", "counter", "wechat", "email"])),
                subject=f"{name}：{text}",
                description=f"{text}，请尽快跟进处理。",
                opened=opened,
                path=path,
                satisfaction=int(rng.integers(3, 6)) if final == "closed" and rng.random() < 0.7 else None,
            )
        )
    return plans
