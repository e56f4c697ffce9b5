"""Clients (individuals mostly, some institutions), their accounts and who serves them.

Everything is drawn as columns. Clients are numbered in the order they opened their account;
assets follow a heavy-tailed distribution (a lognormal body with a Pareto tail: mostly mass
clients, some affluent, a few high and ultra-high net worth). A few clients are *drifting
away*: lately they sell, take their money out and are not called (``drifting``) — the churn
model's business. Clients, accounts and assignments are facts for the extract (``demo.writer``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisors.models import Assignment
from clients.models import Account, Client
from demo.columns import Dates, Decimals, Ints, Labels, Texts
from demo.context import Context
from demo.identity import NamePool, addresses, emails, mobiles, region_codes, resident_ids, unified_credit_codes
from demo.org import Org
from demo.places import CITIES

DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D")
ACCOUNT_TYPES = ("cash", "margin", "fund", "wealth")
OCCUPATIONS = (
    ("企业职员", 0.25), ("公务员", 0.05), ("事业单位职工", 0.05), ("教师", 0.05), ("医生", 0.04), ("工程师", 0.08),
    ("个体工商户", 0.10), ("自由职业者", 0.08), ("金融从业人员", 0.04), ("律师", 0.02), ("销售人员", 0.06),
    ("技术人员", 0.08), ("企业管理人员", 0.06), ("私营企业主", 0.04),
)  # fmt: skip
WEALTHY_OCCUPATIONS = (
    ("私营企业主", 0.4),
    ("企业管理人员", 0.3),
    ("金融从业人员", 0.1),
    ("医生", 0.05),
    ("律师", 0.05),
    ("自由职业者", 0.1),
)
COMPANY_KINDS = (
    "科技有限公司",
    "实业有限公司",
    "投资管理有限公司",
    "贸易有限公司",
    "集团有限公司",
    "私募基金管理有限公司",
)


@dataclass
class Book:
    """All clients, as columns (position i = the client with id ``ids[i]``)."""

    ids: np.ndarray
    client_no: list[str]
    institution: np.ndarray
    name: list[str]
    gender: np.ndarray
    birth: np.ndarray
    id_number: list[str]
    phone: list[str]
    email: list[str]
    address: list[str]
    occupation: np.ndarray
    income_band: np.ndarray
    financial_assets: np.ndarray  # cents, -1 = not declared
    experience: np.ndarray  # years, -1 = unknown
    objective: np.ndarray
    channel: np.ndarray
    status: np.ndarray
    opened: np.ndarray  # NaT for prospects
    closed: np.ndarray
    dormant_since: np.ndarray  # NaT unless dormant or frozen
    branch: np.ndarray  # branch index
    advisor: np.ndarray  # advisor id of the primary
    assets: np.ndarray  # yuan: the scale of the client's wealth
    level: np.ndarray  # risk tolerance 1..5
    assessed: np.ndarray  # has a risk assessment
    professional: np.ndarray
    rate: np.ndarray  # buys per trading day
    trader: np.ndarray
    commission_rate: np.ndarray
    drifting: np.ndarray  # stops trading, sells in stages, withdraws, is not called (see ``trading``)
    drift_now: np.ndarray  # drifting at the as-of day (the others drifted away and closed earlier)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Accounts:
    ids: np.ndarray
    client: np.ndarray  # position in the Book
    kind: np.ndarray  # index into ACCOUNT_TYPES
    opened: np.ndarray
    closed: np.ndarray
    by_type: np.ndarray  # (clients, 4): account id per type, -1 = none


def _weekday_on_or_before(days: np.ndarray) -> np.ndarray:
    return np.busday_offset(days, 0, roll="backward")


def build_clients(ctx: Context, org: Org) -> Book:
    rng = ctx.rng("clients")
    n = ctx.options.clients
    as_of = np.datetime64(ctx.as_of, "D")

    institution = rng.random(n) < 0.025
    status = np.where(
        institution,
        rng.choice(["prospect", "active", "dormant", "closed"], size=n, p=[0.03, 0.90, 0.05, 0.02]),
        rng.choice(["prospect", "active", "dormant", "frozen", "closed"], size=n, p=[0.05, 0.79, 0.10, 0.01, 0.05]),
    ).astype(object)

    # --- when they opened: years weighted by the market's waves --------------------------
    first_year, last_year = 2005, ctx.as_of.year
    years = np.arange(first_year, last_year + 1)
    weight = np.ones(len(years))
    for year, boost in ((2007, 3.0), (2015, 4.0), (2020, 2.5), (2021, 2.5), (2024, 2.0), (2025, 2.0), (2026, 2.0)):
        weight[years == year] *= boost
    weight[-1] *= ctx.as_of.timetuple().tm_yday / 365
    year = rng.choice(years, size=n, p=weight / weight.sum())
    year_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    year_len = np.where(year == last_year, (as_of - year_start).astype(int), 365)
    opened = _weekday_on_or_before(year_start + (rng.random(n) * year_len).astype(int) * DAY)
    opened = np.minimum(opened, as_of)
    prospect = status == "prospect"
    opened = np.where(prospect, NAT, opened)
    # Client numbers follow opening order; prospects come last.
    order = np.lexsort((rng.random(n), np.where(prospect, np.datetime64("2999-01-01"), opened)))
    status, opened, institution = status[order], opened[order], institution[order]
    prospect = status == "prospect"

    closed_flag = status == "closed"
    close_gap = np.maximum(30, (as_of - opened).astype("float") - rng.exponential(500, n))
    closed = np.where(closed_flag, _weekday_on_or_before(opened + np.nan_to_num(close_gap).astype(int) * DAY), NAT)
    closed = np.where(closed_flag, _weekday_on_or_before(np.minimum(np.maximum(closed, opened + 30 * DAY), as_of)), NAT)
    quiet = np.isin(status, ["dormant", "frozen"])
    dormant_since = as_of - rng.integers(180, 900, n) * DAY
    too_new = quiet & (dormant_since < opened + 60 * DAY)
    status[too_new] = "active"
    quiet = np.isin(status, ["dormant", "frozen"])
    dormant_since = np.where(quiet, dormant_since, NAT)

    # --- wealth -----------------------------------------------------------------------------
    assets = rng.lognormal(np.log(60_000), 1.35, n)
    tail = rng.random(n) < 0.04
    assets[tail] = 1_000_000 * (1 + rng.pareto(1.15, tail.sum()))
    assets = np.where(institution, assets * 15, assets)
    assets = np.where(quiet, assets * 0.4, assets)
    assets = np.clip(assets, 2_000, 2_000_000_000)

    # --- who they are -------------------------------------------------------------------------
    branch = rng.choice(len(org.branch_ids), size=n, p=org.branch_weight / org.branch_weight.sum())
    home_city = np.where(rng.random(n) < 0.9, org.branch_city[branch], rng.integers(0, len(CITIES), n))
    male = rng.random(n) < 0.52
    age_at_open = np.clip(18 + rng.gamma(3.0, 7.0, n), 18, 75)
    anchor = np.where(prospect, as_of, opened)
    age_prospect = np.clip(rng.normal(38, 10, n), 18, 70)
    birth = anchor - (np.where(prospect, age_prospect, age_at_open) * 365.25).astype(int) * DAY
    birth = birth - rng.integers(0, 365, n) * DAY * (birth > anchor - 18 * 366 * DAY)
    age = (as_of - birth).astype(int) / 365.25

    pool = NamePool(ctx.faker)
    names = pool.names(rng, male)
    all_regions, local_regions = region_codes(ctx.faker)
    region = all_regions[rng.integers(0, len(all_regions), n)]
    for c, city in enumerate(CITIES):
        mine = (home_city == c) & (rng.random(n) < 0.65)
        region[mine] = local_regions[city.code][rng.integers(0, len(local_regions[city.code]), mine.sum())]
    id_numbers = resident_ids(region, birth, male, rng).astype(str).tolist()
    inst_pos = np.flatnonzero(institution)
    credit_codes = unified_credit_codes(region[inst_pos], rng)
    for k, i in enumerate(inst_pos.tolist()):
        city = CITIES[home_city[i]]
        names[i] = f"{city.name}{ctx.faker.company_prefix()}{COMPANY_KINDS[int(rng.integers(len(COMPANY_KINDS)))]}"
        id_numbers[i] = credit_codes[k]
    phones = mobiles(rng, n).astype(str).tolist()
    has_email = np.where(institution, rng.random(n) < 0.85, rng.random(n) < np.clip(0.75 - age / 120, 0.1, 0.7))
    mail = emails(pool, rng, n)
    email = [m if h else "" for m, h in zip(mail, has_email, strict=True)]
    address = addresses(home_city, rng)

    occupation = rng.choice([o for o, _ in OCCUPATIONS], size=n, p=_p(OCCUPATIONS))
    wealthy = rng.choice([o for o, _ in WEALTHY_OCCUPATIONS], size=n, p=_p(WEALTHY_OCCUPATIONS))
    occupation = np.where(assets > 3_000_000, wealthy, occupation)
    occupation = np.where(age > 62, np.where(rng.random(n) < 0.7, "退休人员", occupation), occupation)
    occupation = np.where(age < 23, np.where(rng.random(n) < 0.6, "学生", occupation), occupation)
    occupation = np.where(institution, "", occupation)
    income_score = np.log10(assets) + rng.normal(0, 0.4, n)
    income_band = np.select(
        [income_score < 4.6, income_score < 5.2, income_score < 5.7, income_score < 6.3],
        ["lt_100k", "100k_300k", "300k_500k", "500k_1m"],
        "gt_1m",
    )
    income_band = np.where(institution, "", income_band)
    declared = np.round(assets * rng.lognormal(0.05, 0.35, n), -4).clip(10_000) * 100
    declared = np.where(rng.random(n) < 0.06, -1, declared).astype(np.int64)
    years_open = np.where(prospect, 0, (as_of - opened).astype("float") / 365.25)
    experience = np.minimum(np.nan_to_num(years_open).astype(int) + rng.poisson(1.5, n), 40)
    experience = np.where(rng.random(n) < 0.05, -1, experience)

    # --- risk tolerance, activity ----------------------------------------------------------
    base = np.array([0.05, 0.12, 0.38, 0.30, 0.15])
    older = np.array([0.15, 0.30, 0.35, 0.15, 0.05])
    rich = np.array([0.02, 0.08, 0.30, 0.35, 0.25])
    inst = np.array([0.0, 0.0, 0.30, 0.45, 0.25])
    u = rng.random(n)
    level = 1 + np.select(
        [institution, assets > 2_000_000, age > 65],
        [_pick(u, inst), _pick(u, rich), _pick(u, older)],
        _pick(u, base),
    )
    assessed = np.where(institution, rng.random(n) < 0.7, rng.random(n) < np.where(prospect, 0.4, 0.93))
    r = rng.random(n)
    professional = (
        (institution & (r < 0.7))
        | (~institution & (assets >= 3_000_000) & (r < 0.45))
        | (~institution & (assets >= 1_000_000) & (level == 5) & (r < 0.2))
    )
    trader = (rng.random(n) < 0.02) & (level >= 3) & ~institution
    rate = np.where(trader, rng.uniform(0.1, 0.8, n), rng.lognormal(np.log(0.012), 1.2, n).clip(0, 0.3))
    rate = np.where(institution, rate * 0.5, rate).clip(0, 1.5)
    objective_by_level = np.array(["preservation", "income", "balanced", "growth", "growth"])
    objective = objective_by_level[level - 1]
    objective = np.where((level == 5) & (rng.random(n) < 0.4), "speculation", objective)
    objective = np.where(rng.random(n) < 0.1, "", objective)
    channel = rng.choice(
        ["call", "wechat", "sms", "email", "meeting", "visit"], size=n, p=[0.33, 0.40, 0.08, 0.04, 0.09, 0.06]
    )
    commission_rate = rng.choice([0.00015, 0.0002, 0.00025, 0.0003], size=n, p=[0.15, 0.3, 0.4, 0.15])

    first = ctx.writer.next_id(Client)
    serial = np.arange(1, n + 1)
    client_no = [f"{1001 + b:04d}{s:08d}" for b, s in zip(branch.tolist(), serial.tolist(), strict=True)]
    return Book(
        ids=np.arange(first, first + n, dtype=np.int64),
        client_no=client_no,
        institution=institution,
        name=names,
        gender=np.where(institution, "unknown", np.where(male, "male", "female")),
        birth=np.where(institution, NAT, birth),
        id_number=id_numbers,
        phone=phones,
        email=email,
        address=address,
        occupation=occupation,
        income_band=income_band,
        financial_assets=declared,
        experience=experience,
        objective=objective,
        channel=channel,
        status=status.astype(str),
        opened=opened,
        closed=closed,
        dormant_since=dormant_since,
        branch=branch,
        advisor=np.zeros(n, dtype=np.int64),
        assets=assets,
        level=level.astype(np.int64),
        assessed=assessed,
        professional=professional,
        rate=rate,
        trader=trader,
        commission_rate=commission_rate,
        drifting=np.zeros(n, dtype=bool),
        drift_now=np.zeros(n, dtype=bool),
    )


def plan_drift(ctx: Context, book: Book) -> None:
    """About one established client in ten drifts away in the window (a stream of its own,
    so the other draws stay as they were): half of them are drifting now, the other half did
    earlier and closed their account three to eight months before the as-of day — the history
    the churn model learns from."""
    rng = ctx.rng("drifting")
    n = len(book)
    as_of = np.datetime64(ctx.as_of, "D")
    settled = ~np.isnat(book.opened) & (book.opened < as_of - 400 * DAY)
    eligible = (book.status == "active") & settled & ~book.institution & ~book.trader & (book.assets > 30_000)
    book.drifting = eligible & (rng.random(n) < 0.10)
    book.drift_now = book.drifting & (rng.random(n) < 0.5)
    past = book.drifting & ~book.drift_now
    days = ctx.calendar.days
    close_idx = len(days) - 1 - rng.integers(45, 160, n)
    book.status = np.where(past, "closed", book.status).astype(object)
    book.closed = np.where(past, days[np.clip(close_idx, 0, len(days) - 1)], book.closed)


def _p(table) -> np.ndarray:
    p = np.array([w for _, w in table], dtype=float)
    return p / p.sum()


def _pick(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(p), u, side="right"), len(p) - 1)


# --- assignments ---------------------------------------------------------------------------------


def assign_advisors(ctx: Context, org: Org, book: Book) -> None:
    """Choose each client's primary advisor in a team of their branch, with some history and
    some shared service; write the assignments; record the primary on the book."""
    rng = ctx.rng("assignments")
    n = len(book)
    as_of = np.datetime64(ctx.as_of, "D")
    advisor_pos = np.zeros(n, dtype=np.int64)
    previous_pos = np.full(n, -1)
    shared_pos = np.full(n, -1)
    u, v, w = rng.random((3, n))
    for b in range(len(org.branch_ids)):
        mine = np.flatnonzero(book.branch == b)
        if not len(mine):
            continue
        serving = np.flatnonzero((org.advisor_branch == b) & (org.advisor_weight > 0))
        cumulative = np.cumsum(org.advisor_weight[serving])
        advisor_pos[mine] = serving[
            np.searchsorted(cumulative / cumulative[-1], u[mine], side="right").clip(0, len(serving) - 1)
        ]
        everyone = np.flatnonzero((org.advisor_branch == b) & (org.advisor_category != "staff"))
        previous_pos[mine] = everyone[(v[mine] * len(everyone)).astype(int)]
        shared_pos[mine] = serving[(w[mine] * len(serving)).astype(int)]
    advisor_ids = org.advisor_ids[advisor_pos]
    book.advisor = advisor_ids

    prospect = np.isnat(book.opened)
    joined = org.advisor_joined[advisor_pos]
    opened = np.where(prospect, as_of - rng.integers(0, 365, n) * DAY, book.opened)
    transferred = (~prospect) & ((joined > opened) | (rng.random(n) < 0.05)) & (previous_pos != advisor_pos)
    latest = np.maximum(joined, opened)
    start = np.where(
        transferred, latest + (rng.random(n) * 0.4 * (as_of - latest).astype(int)).astype(int) * DAY, opened
    )
    start = np.minimum(start, as_of)
    # An advisor who joined after the client opened, with no known predecessor: imported as is.
    unknown_history = ~prospect & ~transferred & (joined > opened)
    start = np.where(unknown_history, latest, start)
    previous_left = ~org.advisor_active[previous_pos]
    reason = np.select(
        [prospect, transferred & previous_left, transferred, unknown_history],
        ["other", "advisor_left", rng.choice(["transfer", "rebalance"], n), "import"],
        "account_opening",
    )
    shared = (rng.random(n) < np.where(book.assets > 6_000_000, 0.3, 0.05)) & (shared_pos != advisor_pos) & ~prospect
    # Give the demo advisor a few shared clients of colleagues.
    demo_pos = int(np.flatnonzero(org.advisor_ids == org.demo_advisor)[0])
    colleagues = (book.branch == org.advisor_branch[demo_pos]) & (advisor_pos != demo_pos) & ~prospect
    to_demo = colleagues & (rng.random(n) < 0.04)
    shared_pos = np.where(to_demo, demo_pos, shared_pos)
    shared |= to_demo
    shared_start = start + (rng.random(n) * (as_of - start).astype(int)).astype(int) * DAY

    client_ids = book.ids
    rows_client = np.concatenate([client_ids, client_ids[transferred], client_ids[shared]])
    rows_advisor = np.concatenate(
        [advisor_ids, org.advisor_ids[previous_pos[transferred]], org.advisor_ids[shared_pos[shared]]]
    )
    rows_role = np.concatenate([np.zeros(n), np.zeros(transferred.sum()), np.ones(shared.sum())]).astype(np.int64)
    rows_start = np.concatenate([start, opened[transferred], shared_start[shared]])
    rows_end = np.concatenate([np.full(n, NAT), start[transferred], np.full(shared.sum(), NAT)])
    rows_reason = np.concatenate(
        [reason, np.full(transferred.sum(), "account_opening"), rng.choice(["other", "client_request"], shared.sum())]
    )
    ctx.writer.write(
        Assignment,
        {
            "client_id": Ints(rows_client),
            "advisor_id": Ints(rows_advisor),
            "role": Labels(rows_role, ["primary", "shared"]),
            "started_on": Dates(rows_start),
            "ended_on": Dates(rows_end),
            "reason": Labels.of(rows_reason),
            "note": Labels.const("", len(rows_client)),
            "created_by_id": Labels.const(None, len(rows_client)),
        },
    )


# --- accounts ------------------------------------------------------------------------------------


def open_accounts(ctx: Context, book: Book) -> Accounts:
    rng = ctx.rng("accounts")
    n = len(book)
    window_start = ctx.calendar.days[0]
    customer = ~np.isnat(book.opened)
    wants = np.zeros((n, 4), dtype=bool)
    wants[:, 0] = customer
    wants[:, 1] = customer & (book.assets >= 500_000) & (book.level >= 3) & (rng.random(n) < 0.25)
    wants[:, 2] = customer & (rng.random(n) < 0.45)
    wants[:, 3] = customer & (rng.random(n) < np.where(book.assets > 300_000, 0.5, 0.2))
    too_many = wants.sum(axis=1) > 3
    drop = np.where(rng.random(n) < 0.5, 2, 3)
    wants[too_many, drop[too_many]] = False

    client_pos, kind = np.nonzero(wants)  # row-major: a client's accounts together, cash first
    first = ctx.writer.next_id(Account)
    ids = np.arange(first, first + len(client_pos), dtype=np.int64)
    by_type = np.full((n, 4), -1, dtype=np.int64)
    by_type[client_pos, kind] = ids
    client_opened = book.opened[client_pos]
    gap = np.maximum((window_start - client_opened).astype(int), 0)
    opened = np.where(kind == 0, client_opened, client_opened + (rng.random(len(kind)) * gap * 0.5).astype(int) * DAY)
    closed = book.closed[client_pos]
    client_status = book.status[client_pos]
    status = np.select(
        [client_status == "closed", client_status == "dormant", client_status == "frozen"],
        ["closed", "dormant", "frozen"],
        "active",
    )
    ctx.writer.write(
        Account,
        {
            "id": Ints(ids),
            "account_no": Texts(
                [f"{book.client_no[c]}{k + 1:02d}" for c, k in zip(client_pos.tolist(), kind.tolist(), strict=True)]
            ),
            "client_id": Ints(book.ids[client_pos]),
            "account_type": Labels(kind.astype(np.int64), list(ACCOUNT_TYPES)),
            "opened_on": Dates(opened),
            "closed_on": Dates(closed),
            "status": Labels.of(status),
        },
    )
    return Accounts(ids=ids, client=client_pos, kind=kind, opened=opened, closed=closed, by_type=by_type)


# --- the client rows ----------------------------------------------------------------------------


def write_clients(ctx: Context, org: Org, book: Book) -> None:
    """The clients as facts, personal data in the clear: the import encrypts and hashes it (the
    extract's clients.csv), the rest is set after it (``demo.details``). Nothing derived: tier,
    stage, behaviour, assets and churn score are the nightly run's."""
    n = len(book)
    institution = book.institution.astype(np.int64)
    ctx.writer.write(
        Client,
        {
            "id": Ints(book.ids),
            "client_no": Texts(list(book.client_no)),
            "client_type": Labels(institution, ["individual", "institution"]),
            "name": Texts(list(book.name)),
            "gender": Labels.of(book.gender),
            "birth_date": Dates(book.birth),
            "id_type": Labels(institution, ["id_card", "business_licence"]),
            "id_number": Texts(list(book.id_number)),
            "phone": Texts(list(book.phone)),
            "email": Texts(list(book.email)),
            "address": Texts(list(book.address)),
            "occupation": Labels.of(book.occupation),
            "income_band": Labels.of(book.income_band),
            "financial_assets": Decimals(book.financial_assets, 2, null=book.financial_assets < 0),
            "investment_experience_years": Ints(book.experience, null=book.experience < 0),
            "objective": Labels.of(book.objective),
            "preferred_channel": Labels.of(book.channel),
            "status": Labels.of(book.status),
            "opened_on": Dates(book.opened),
            "closed_on": Dates(book.closed),
            "branch_code": Texts([org.branch_codes[b] for b in book.branch.tolist()]),
            "advisor_id": Ints(book.advisor),
        },
    )
    assert n == len(book.ids)
