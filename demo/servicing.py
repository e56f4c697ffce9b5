"""The advisors' side of the demo: interactions (服务记录) over the last half year, open alerts
that follow from the generated data (maturities, expiring assessments, large outflows,
birthdays, dormant and uncontacted clients) and, when ticket kinds are configured, a few
service tickets with their timelines."""

from __future__ import annotations

import datetime as dt

import numpy as np

from alerts.models import Alert
from clients.models import Interaction
from demo.columns import Bools, Dates, Ints, Jsons, Labels, Stamps, Texts
from demo.context import CHINA, Context, local_to_utc
from demo.org import Org
from demo.people import DAY, NAT, Book
from demo.products import Shelf
from demo.products import T as PRODUCT_TYPE
from demo.trading import TradingResult
from tickets.models import SlaPolicy, Ticket, TicketEvent, TicketKind

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


def write_interactions(ctx: Context, org: Org, book: Book, shelf: Shelf) -> np.ndarray:
    """Returns the day of each client's latest interaction (NaT = none)."""
    rng = ctx.rng("interactions")
    n = len(book)
    as_of = np.datetime64(ctx.as_of, "D")
    customer = ~np.isnat(book.opened) & (book.status != "closed")
    important = book.assets > 5_000_000
    k = np.where(customer & ((rng.random(n) < 0.35) | important), 1 + rng.poisson(np.where(important, 3.0, 1.2)), 0)
    who = np.repeat(np.arange(n), k)
    m = len(who)
    day = np.busday_offset(as_of - rng.integers(0, 180, m) * DAY, 0, roll="backward")
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
            "created_at": Stamps(occurred),
            "updated_at": Stamps(occurred),
            "client_id": Ints(book.ids[who]),
            "advisor_id": Ints(book.advisor[who]),
            "channel": Labels.of(channel),
            "occurred_at": Stamps(occurred),
            "summary": Texts(summary),
            "outcome": Labels(outcome.astype(np.int64), list(OUTCOMES)),
            "next_follow_up_on": Dates(next_day),
            "follow_up_done": Bools(done),
            "client_risk_level": Labels.of(risk),
            "campaign_id": Labels.const(None, m),
            "ticket_id": Labels.const(None, m),
            "alert_id": Labels.const(None, m),
            "created_by_id": Ints(org.advisor_user[advisor_pos]),
        },
    )
    latest = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(latest, who, day.astype(np.int64))
    return np.where(latest == np.iinfo(np.int64).min, NAT, latest.astype("datetime64[D]"))


def write_alerts(
    ctx: Context,
    org: Org,
    book: Book,
    shelf: Shelf,
    trading: TradingResult,
    valid_until: np.ndarray,
    last_contact: np.ndarray,
) -> None:
    rng = ctx.rng("alerts")
    as_of = np.datetime64(ctx.as_of, "D")
    names = shelf.names
    rows: list[tuple] = []  # (client pos, kind, severity, title, reason, due, key, payload)

    for client, prod, value in trading.maturing:
        maturity = shelf.maturity_date[prod]
        rows.append(
            (
                client,
                "maturity",
                "warning",
                f"{names[prod]}将于{maturity}到期",
                "持有产品即将到期，请与客户沟通到期资金安排。",
                max(as_of, maturity - 7 * DAY),
                f"maturity:{book.ids[client]}:{shelf.codes[prod]}:{maturity}",
                {"product": shelf.codes[prod], "maturity_date": str(maturity), "market_value": f"{value / 100:.2f}"},
            )
        )
    soon = np.flatnonzero((valid_until >= as_of) & (valid_until <= as_of + 30 * DAY))
    for client in soon.tolist():
        until = valid_until[client]
        rows.append(
            (
                client,
                "risk_profile_expiring",
                "warning",
                f"风险测评将于{until}到期",
                "测评到期后不能购买中高风险产品，请提醒客户重新测评。",
                max(as_of, until - 7 * DAY),
                f"risk_profile_expiring:{book.ids[client]}:{until}",
                {"valid_until": str(until)},
            )
        )
    for client in np.flatnonzero(trading.large_outflow > 0).tolist():
        amount = trading.large_outflow[client]
        day = trading.large_outflow_day[client]
        rows.append(
            (
                client,
                "large_outflow",
                "critical" if amount >= 100_000_000 else "warning",
                f"大额资金转出 ¥{amount / 100:,.2f}",
                "客户近期卖出持仓并转出资金，请尽快了解原因。",
                min(as_of, day + DAY),
                f"large_outflow:{book.ids[client]}:{day}",
                {"amount": f"{amount / 100:.2f}", "flow_date": str(day)},
            )
        )
    birthdays = _upcoming_birthdays(book.birth, ctx.as_of, 7)
    for client in np.flatnonzero(~np.isnat(birthdays) & (book.assets >= 500_000) & (book.status == "active")).tolist():
        rows.append(
            (
                client,
                "birthday",
                "info",
                "客户生日",
                "送上生日祝福。",
                birthdays[client],
                f"birthday:{book.ids[client]}:{birthdays[client]}",
                {},
            )
        )
    dormant = np.flatnonzero((book.status == "dormant") & (rng.random(len(book)) < 0.25))
    for client in dormant.tolist():
        rows.append(
            (
                client,
                "dormant",
                "info",
                "休眠客户唤醒",
                "客户长期无交易，可结合市场机会联系。",
                as_of,
                f"dormant:{book.ids[client]}:{as_of}",
                {},
            )
        )
    uncontacted = (
        (book.assets > 5_000_000)
        & (book.status == "active")
        & (np.isnat(last_contact) | (last_contact < as_of - 60 * DAY))
    )
    for client in np.flatnonzero(uncontacted).tolist():
        rows.append(
            (
                client,
                "contact_due",
                "warning",
                "高净值客户超过60天未联系",
                "请按服务频次要求联系客户。",
                as_of,
                f"contact_due:{book.ids[client]}:{as_of}",
                {},
            )
        )
    if not rows:
        return
    m = len(rows)
    client = np.array([r[0] for r in rows], dtype=np.int64)
    status = rng.choice(["open", "done", "dismissed", "snoozed"], size=m, p=[0.85, 0.08, 0.05, 0.02])
    closed = np.isin(status, ["done", "dismissed"])
    advisor_pos = np.searchsorted(org.advisor_ids, book.advisor[client])
    closed_at = local_to_utc(np.full(m, as_of), rng.integers(9 * 3600, 18 * 3600, m))
    ctx.writer.write(
        Alert,
        {
            "advisor_id": Ints(book.advisor[client]),
            "client_id": Ints(book.ids[client]),
            "kind": Labels.of(np.array([r[1] for r in rows])),
            "severity": Labels.of(np.array([r[2] for r in rows])),
            "status": Labels.of(status),
            "title": Texts([r[3] for r in rows]),
            "reason": Texts([r[4] for r in rows]),
            "due_on": Dates(np.array([r[5] for r in rows], dtype="datetime64[D]")),
            "snoozed_until": Dates(np.where(status == "snoozed", as_of + rng.integers(3, 10, m) * DAY, NAT)),
            "payload": Jsons([r[7] for r in rows]),
            "dedupe_key": Texts([r[6] for r in rows]),
            "closed_at": Stamps(np.where(closed, closed_at, np.datetime64("NaT", "s"))),
            "closed_by_id": Ints(org.advisor_user[advisor_pos], null=~closed),
            "close_note": Texts(["已联系客户" if c else "" for c in closed.tolist()]),
        },
    )


def _upcoming_birthdays(birth: np.ndarray, as_of: dt.date, days: int) -> np.ndarray:
    """The date of each birthday falling in the next ``days`` days (NaT otherwise)."""
    out = np.full(len(birth), NAT)
    valid = ~np.isnat(birth)
    month_day = np.full(len(birth), "", dtype=object)
    month_day[valid] = np.datetime_as_string(birth[valid])
    month_day = np.array([s[5:] for s in month_day.tolist()], dtype=object)
    for offset in range(1, days + 1):
        day = as_of + dt.timedelta(days=offset)
        out[valid & (month_day == day.strftime("%m-%d"))] = np.datetime64(day, "D")
    return out


def write_tickets(ctx: Context, org: Org, book: Book, tiers: np.ndarray) -> int:
    """A few tickets, only if the ticket kinds are configured (they are reference data)."""
    kinds = list(TicketKind.objects.filter(is_active=True).order_by("code"))
    if not kinds:
        return 0
    rng = ctx.rng("tickets")
    policies = {(p.kind_id, p.tier): p for p in SlaPolicy.objects.all()}
    customers = np.flatnonzero(~np.isnat(book.opened) & (book.status != "closed"))
    m = min(len(customers), max(5, len(book) // 250))
    who = np.sort(rng.choice(customers, size=m, replace=False))
    first = ctx.writer.next_id(Ticket)
    ids = np.arange(first, first + m, dtype=np.int64)
    advisor_pos = np.searchsorted(org.advisor_ids, book.advisor[who])
    rows: dict[str, list] = {
        k: []
        for k in (
            "number",
            "client_id",
            "kind_id",
            "channel",
            "subject",
            "description",
            "priority",
            "status",
            "branch_id",
            "assignee_id",
            "response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "escalation_level",
            "satisfaction",
            "created_at",
            "created_by_id",
        )
    }
    events: dict[str, list] = {
        k: [] for k in ("ticket_id", "kind", "actor_id", "from_status", "to_status", "body", "created_at")
    }
    now = dt.datetime.combine(ctx.as_of, dt.time(18, 0), tzinfo=CHINA)
    for i, client in enumerate(who.tolist()):
        kind = kinds[int(rng.integers(len(kinds)))]
        policy = policies.get((kind.id, str(tiers[client])))
        created = dt.datetime.combine(
            ctx.as_of - dt.timedelta(days=int(rng.integers(0, 90))),
            dt.time(int(rng.integers(9, 17)), int(rng.integers(0, 60))),
            tzinfo=CHINA,
        )
        response_h = policy.response_hours if policy else 8
        resolution_h = policy.resolution_hours if policy else 40
        response_due, resolution_due = _business_hours(created, response_h), _business_hours(created, resolution_h)
        age_days = (now - created).days
        status = str(
            rng.choice(
                ["closed", "resolved", "in_progress", "waiting_client", "assigned", "new"],
                p=[0.45, 0.15, 0.15, 0.08, 0.1, 0.07],
            )
            if age_days > 3
            else rng.choice(["in_progress", "assigned", "new"], p=[0.4, 0.3, 0.3])
        )
        user = (
            int(org.advisor_user[advisor_pos[i]])
            if kind.routing == "primary_advisor"
            else int(org.branch_manager_user[book.branch[client]])
        )
        responded = (
            None if status == "new" else min(now, created + dt.timedelta(hours=float(rng.uniform(0.3, response_h))))
        )
        resolved = (
            min(now, created + dt.timedelta(hours=float(rng.uniform(1, resolution_h * 1.3))))
            if status in ("resolved", "closed")
            else None
        )
        closed = min(now, resolved + dt.timedelta(days=2)) if status == "closed" else None
        overdue = status not in ("resolved", "closed") and resolution_due < now
        texts = TICKET_TEXT.get(kind.code, TICKET_TEXT["other"])
        text = texts[int(rng.integers(len(texts)))]
        values = {
            "number": f"GD{created:%Y%m%d}{i + 1:05d}",
            "client_id": int(book.ids[client]),
            "kind_id": kind.id,
            "channel": str(rng.choice(["phone", "app", "counter", "wechat", "email"])),
            "subject": f"{kind.name_zh}：{text}",
            "description": f"{text}，请尽快跟进处理。",
            "priority": policy.priority if policy else "normal",
            "status": status,
            "branch_id": int(org.branch_ids[book.branch[client]]),
            "assignee_id": None if status == "new" else user,
            "response_due_at": response_due,
            "resolution_due_at": resolution_due,
            "first_responded_at": responded,
            "resolved_at": resolved,
            "closed_at": closed,
            "escalation_level": 1 if overdue else 0,
            "satisfaction": int(rng.integers(3, 6)) if status == "closed" and rng.random() < 0.7 else None,
            "created_at": created,
            "created_by_id": user,
        }
        for key, value in values.items():
            rows[key].append(value)
        timeline = [("created", None, "new", created)]
        if status != "new":
            timeline.append(("transition", "new", "assigned", responded or created))
        if status in ("in_progress", "waiting_client", "resolved", "closed"):
            timeline.append(("transition", "assigned", "in_progress", responded or created))
        if status == "waiting_client":
            timeline.append(("transition", "in_progress", "waiting_client", responded or created))
        if status in ("resolved", "closed"):
            timeline.append(("transition", "in_progress", "resolved", resolved))
        if status == "closed":
            timeline.append(("transition", "resolved", "closed", closed))
        for kind_name, from_status, to_status, at in timeline:
            events["ticket_id"].append(int(ids[i]))
            events["kind"].append(kind_name)
            events["actor_id"].append(user)
            events["from_status"].append(from_status or "")
            events["to_status"].append(to_status)
            events["body"].append("")
            events["created_at"].append(at)
    ctx.writer.write(
        Ticket,
        {
            "id": Ints(ids),
            **{k: _column(v) for k, v in rows.items()},
            "updated_at": _column(rows["created_at"]),
        },
    )
    ctx.writer.write(TicketEvent, {k: _column(v) for k, v in events.items()})
    return m


def _business_hours(start: dt.datetime, hours: int) -> dt.datetime:
    """``start`` plus working hours (9:00–17:00 on weekdays)."""
    moment = start
    left = hours * 60
    while left > 0:
        if moment.weekday() >= 5 or moment.hour >= 17:
            moment = (moment + dt.timedelta(days=1)).replace(hour=9, minute=0)
            continue
        if moment.hour < 9:
            moment = moment.replace(hour=9, minute=0)
        close = moment.replace(hour=17, minute=0)
        step = min(left, (close - moment).seconds // 60)
        moment += dt.timedelta(minutes=step)
        left -= step
    return moment


def _column(values: list):
    """A Python list → a column (types taken from the values)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, dt.datetime):
        utc = [None if v is None else np.datetime64(v.astimezone(dt.UTC).replace(tzinfo=None), "s") for v in values]
        return Stamps(np.array([np.datetime64("NaT", "s") if v is None else v for v in utc], dtype="datetime64[s]"))
    if isinstance(sample, bool):
        return Bools(np.array(values))
    if isinstance(sample, int):
        null = np.array([v is None for v in values])
        return Ints(
            np.array([0 if v is None else v for v in values], dtype=np.int64), null=null if null.any() else None
        )
    return Texts(list(values))
