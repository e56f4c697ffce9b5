"""The organisation: HQ → branch companies (分公司) → branches (营业部) → teams, the staff in it
(users in the five role groups, each with an Advisor profile) and the five demo users.

Nothing is written here: the tree and the people become the extract's org_units.csv and
advisors.csv (``demo.extract``), and what the extract does not carry — a unit's city and
manager, an advisor's level, licence, joining date and whether they still work here, the demo
users' password — is set after the import (``demo.details``).

The tree scales with the book: about one client-serving advisor per 150–250 clients, teams of
two to a dozen, a few teams per branch, branch companies in up to ten cities.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from core import roles
from demo.context import Context
from demo.identity import NamePool
from demo.places import CITIES

FIRM = "华鼎证券"
MAIL_DOMAIN = "hdzq.example"
LICENCE_FIRM = "1230"
DEMO_USERNAMES = {role: role for role in roles.ROLE_NAMES}  # advisor, team_lead, branch_manager, …
DEMO_USERNAMES[roles.SECURITY_ADMIN] = "security"  # outside the org tree: grants privileged roles
TEAM_NAMES = ("财富管理一组", "财富管理二组", "投资顾问组", "高净值客户组", "财富管理三组", "机构服务组", "综合金融组")
CATEGORY_DIGIT = {"investment_advisor": "1", "client_manager": "2", "broker": "6", "staff": "3"}


@dataclass
class Person:
    role: str
    unit: str  # org unit code
    category: str
    level: int
    weight: float = 0.0  # share of new clients (0: no book)
    active: bool = True
    username: str = ""
    code: str = ""
    name: str = ""
    user_id: int = 0  # handles: the person's place in Org.people, from 1
    advisor_id: int = 0
    licence_no: str = ""
    joined: dt.date | None = None

    @property
    def email(self) -> str:
        return f"{self.username}@{MAIL_DOMAIN}"


@dataclass
class Org:
    """What later stages need to know about the organisation, as arrays."""

    units: list[tuple[str, str, str, str | None, str]]  # code, name, kind, parent code, city
    branch_codes: list[str]
    branch_ids: np.ndarray  # branch index (a handle)
    branch_city: np.ndarray  # index into CITIES
    branch_weight: np.ndarray  # share of clients
    branch_manager_user: np.ndarray  # user id per branch
    # Everyone with an Advisor profile, in advisor-id order.
    advisor_ids: np.ndarray
    advisor_user: np.ndarray
    advisor_branch: np.ndarray  # branch index (-1 above branches)
    advisor_weight: np.ndarray  # share of new clients within the branch (0: no book)
    advisor_active: np.ndarray
    advisor_joined: np.ndarray  # datetime64[D]
    advisor_category: np.ndarray
    demo_users: dict[str, str] = field(default_factory=dict)
    demo_advisor: int = 0  # advisor id of the demo advisor
    people: list[Person] = field(default_factory=list)


def _split(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into len(weights) integers ≥ minimum, proportional to weights."""
    k = len(weights)
    base = np.full(k, minimum)
    rest = total - base.sum()
    if rest <= 0:
        return base
    share = weights / weights.sum() * rest
    out = base + np.floor(share).astype(int)
    short = total - out.sum()
    out[np.argsort(-(share - np.floor(share)), kind="stable")[:short]] += 1
    return out


def plan_size(clients: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """Advisors with a book, branch companies, branches, teams."""
    ratio = rng.uniform(150, 250)
    teams_min = 5
    book = max(2 * teams_min, round(clients / ratio))
    branches = max(teams_min, round(book / 14))
    companies = min(len(CITIES), max(5, math.ceil(branches / 4)))
    branches = max(branches, companies)
    teams = min(max(branches, round(book / 7)), book // 2)
    return book, companies, branches, teams


def build_org(ctx: Context) -> Org:
    rng = ctx.rng("org")
    n_book, n_companies, n_branches, n_teams = plan_size(ctx.options.clients, rng)
    cities = CITIES[:n_companies]
    per_city = _split(n_branches, np.array([c.weight for c in cities]), 1)

    # --- the tree, as plain data first ----------------------------------------------------
    units: list[tuple[str, str, str, str | None, str]] = [("HQ", f"{FIRM}总部", "headquarters", None, "上海")]
    branch_codes, branch_city = [], []
    for ci, (city, count) in enumerate(zip(cities, per_city, strict=True)):
        units.append((city.code, f"{FIRM}{city.name}分公司", "branch_company", "HQ", city.name))
        roads = rng.permutation(len(city.roads))
        for b in range(count):
            code = f"{city.code}{b + 1:02d}"
            road = city.roads[roads[b % len(roads)]] + ("", "第二", "第三", "第四", "第五")[min(b // len(roads), 4)]
            units.append((code, f"{FIRM}{city.name}{road}证券营业部", "branch", city.code, city.name))
            branch_codes.append(code)
            branch_city.append(ci)
    branch_size = rng.lognormal(0, 0.5, size=n_branches)
    branch_size[0] *= 2.0  # the flagship: the demo users' branch
    teams_per_branch = _split(n_teams, branch_size, 1)
    team_codes, team_branch = [], []
    for bi, (bcode, count) in enumerate(zip(branch_codes, teams_per_branch, strict=True)):
        for t in range(count):
            code = f"{bcode}T{t + 1}"
            name = TEAM_NAMES[t % len(TEAM_NAMES)] + ("" if t < len(TEAM_NAMES) else str(t // len(TEAM_NAMES) + 1))
            units.append((code, name, "team", bcode, CITIES[branch_city[bi]].name))
            team_codes.append(code)
            team_branch.append(bi)

    # --- people ---------------------------------------------------------------------------
    team_size = _split(n_book, rng.lognormal(0, 0.35, size=n_teams), 2)
    people: list[Person] = []
    categories = np.array(["investment_advisor", "client_manager", "broker"])
    for tcode, size in zip(team_codes, team_size, strict=True):
        lead_category = "investment_advisor" if rng.random() < 0.5 else "client_manager"
        people.append(Person(roles.TEAM_LEAD, tcode, lead_category, int(rng.integers(4, 6)), weight=0.0))
        for _ in range(size - 1):
            category = str(rng.choice(categories, p=[0.35, 0.5, 0.15]))
            people.append(Person(roles.ADVISOR, tcode, category, int(rng.integers(1, 5)), weight=0.0))
    # Book weights: lognormal per advisor, a team lead carries a smaller book.
    for person in people:
        person.weight = float(rng.lognormal(0, 0.45)) * (0.5 if person.role == roles.TEAM_LEAD else 1.0)
    # Advisors who have left: they keep past assignments only.
    for _ in range(max(1, n_book // 20)):
        tcode = team_codes[int(rng.integers(n_teams))]
        people.append(Person(roles.ADVISOR, tcode, "client_manager", 1, weight=0.0, active=False))
    for bcode in branch_codes:
        people.append(Person(roles.BRANCH_MANAGER, bcode, "staff", 6))
    for city in cities:
        people.append(Person(roles.BRANCH_MANAGER, city.code, "staff", 7))
    for role in (roles.COMPLIANCE, roles.COMPLIANCE, roles.OPS, roles.OPS):
        people.append(Person(role, "HQ", "staff", 5))

    # The demo users: the first team of the flagship branch.
    flagship_team = team_codes[0]
    members = [p for p in people if p.unit == flagship_team and p.role == roles.ADVISOR and p.active]
    demo_advisor = max(members, key=lambda p: p.weight)
    demo_advisor.weight = max(p.weight for p in people if p.unit == flagship_team) * 1.5
    demo_advisor.username = DEMO_USERNAMES[roles.ADVISOR]
    next(p for p in people if p.unit == flagship_team and p.role == roles.TEAM_LEAD).username = roles.TEAM_LEAD
    next(p for p in people if p.unit == branch_codes[0]).username = roles.BRANCH_MANAGER
    next(p for p in people if p.role == roles.COMPLIANCE).username = roles.COMPLIANCE
    next(p for p in people if p.role == roles.OPS).username = roles.OPS

    pool = NamePool(ctx.faker)
    male = rng.random(len(people)) < 0.55
    names = pool.names(rng, male)
    for i, (person, name) in enumerate(zip(people, names, strict=True)):
        person.code = f"A{i + 1:05d}"
        person.name = name
        person.username = person.username or person.code.lower()

    org = _advisors(ctx, rng, people, units, branch_codes, branch_city)
    org.demo_users = {role: DEMO_USERNAMES[role] for role in (*roles.ROLE_NAMES, roles.SECURITY_ADMIN)}
    org.demo_advisor = demo_advisor.advisor_id
    return org


def _advisors(
    ctx: Context,
    rng: np.random.Generator,
    people: list[Person],
    units: list[tuple[str, str, str, str | None, str]],
    branch_codes: list[str],
    branch_city: list[int],
) -> Org:
    """Everyone's profile facts (the extract's advisors.csv, and what it does not carry: level,
    licence, joining date, still employed), with handles 1…n for advisors and their users."""
    n = len(people)
    ids = np.arange(1, n + 1, dtype=np.int64)
    for p, handle in zip(people, ids.tolist(), strict=True):
        p.advisor_id = handle
        p.user_id = handle
    as_of = np.datetime64(ctx.as_of, "D")
    seniority = {roles.ADVISOR: 6.0, roles.TEAM_LEAD: 10.0, roles.BRANCH_MANAGER: 13.0}
    years = np.array([rng.gamma(3.0, seniority.get(p.role, 8.0) / 3.0) for p in people]).clip(0.3, 20)
    joined = as_of - (years * 365.25).astype("timedelta64[D]")
    serial = rng.permutation(1_000_000)[:n]
    yy = (joined.astype("datetime64[Y]").astype(int) + 1970) % 100
    licence = [
        f"S{LICENCE_FIRM}{y:02d}{CATEGORY_DIGIT[p.category]}{s:06d}"
        for p, y, s in zip(people, yy.tolist(), serial.tolist(), strict=True)
    ]
    branch_index = {code: i for i, code in enumerate(branch_codes)}

    def branch_of(code: str) -> int:
        for length in (len(code), 4):  # team SH01T1 → branch SH01
            if code[:length] in branch_index:
                return branch_index[code[:length]]
        return -1

    for p, licence_no, day in zip(people, licence, joined.tolist(), strict=True):
        p.licence_no, p.joined = licence_no, day
    advisor_branch = np.array([branch_of(p.unit) for p in people], dtype=np.int64)
    managers = {p.unit: p.user_id for p in people if p.role == roles.BRANCH_MANAGER}
    return Org(
        units=units,
        branch_codes=branch_codes,
        branch_ids=np.arange(len(branch_codes), dtype=np.int64),
        branch_city=np.array(branch_city, dtype=np.int64),
        branch_weight=np.bincount(
            advisor_branch[advisor_branch >= 0],
            weights=np.array([p.weight for p in people])[advisor_branch >= 0],
            minlength=len(branch_codes),
        ),
        branch_manager_user=np.array([managers[c] for c in branch_codes], dtype=np.int64),
        advisor_ids=ids,
        advisor_user=np.array([p.user_id for p in people], dtype=np.int64),
        advisor_branch=advisor_branch,
        advisor_weight=np.array([p.weight if p.active else 0.0 for p in people]),
        advisor_active=np.array([p.active for p in people]),
        advisor_joined=joined,
        advisor_category=np.array([p.category for p in people]),
        people=people,
    )
