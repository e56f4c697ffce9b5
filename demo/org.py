"""The organisation: HQ → branch companies (分公司) → branches (营业部) → teams, the staff in it
(users in the five role groups, each with an Advisor profile) and the five demo users.

The tree scales with the book: about one client-serving advisor per 150–250 clients, teams of
two to a dozen, a few teams per branch, branch companies in up to ten cities.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from advisors.models import Advisor, OrgUnit
from core import roles
from demo.columns import Bools, Dates, Ints, Labels, Texts
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
    user_id: int = 0
    advisor_id: int = 0


@dataclass
class Org:
    """What later stages need to know about the organisation, as arrays."""

    units: dict[str, OrgUnit]
    branch_codes: list[str]
    branch_ids: np.ndarray
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

    _create_users(ctx, people, names, male)
    unit_objects = _create_units(units, people)
    org = _create_advisors(ctx, rng, people, unit_objects, branch_codes, branch_city)
    org.demo_users = {role: DEMO_USERNAMES[role] for role in (*roles.ROLE_NAMES, roles.SECURITY_ADMIN)}
    org.demo_advisor = demo_advisor.advisor_id
    return org


def _create_users(ctx: Context, people: list[Person], names: list[str], male: np.ndarray) -> None:
    User = get_user_model()
    demo_hash = make_password(settings.CRM_DEMO_PASSWORD)  # once: hashing is deliberately slow
    joined = dt.datetime.combine(ctx.as_of, dt.time(9, 0), tzinfo=ctx.stamp.tzinfo)
    users = [
        User(
            username=p.username,
            first_name=name[1:],
            last_name=name[:1],
            email=f"{p.username}@{MAIL_DOMAIN}",
            is_staff=p.role in roles.ADMIN_ROLES,
            is_active=p.active,
            date_joined=joined,
            password=demo_hash if p.username in DEMO_USERNAMES.values() else make_password(None),
        )
        for p, name in zip(people, names, strict=True)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    ids = dict(User.objects.filter(username__in=[p.username for p in people]).values_list("username", "id"))
    for p in people:
        p.user_id = ids[p.username]
    groups = {g.name: g.id for g in Group.objects.filter(name__in=roles.ROLE_NAMES)}
    if len(groups) < len(roles.ROLE_NAMES):
        roles.sync_roles()
        groups = {g.name: g.id for g in Group.objects.filter(name__in=roles.ROLE_NAMES)}
    through = User.groups.through
    through.objects.bulk_create([through(user_id=p.user_id, group_id=groups[p.role]) for p in people], batch_size=1000)
    # The security administrator: staff with no place in the tree (and no draw of the generator,
    # so the rest of the demo does not change with it).
    security = User.objects.create(
        username=DEMO_USERNAMES[roles.SECURITY_ADMIN],
        first_name="安",
        last_name="周",
        email=f"security@{MAIL_DOMAIN}",
        is_staff=True,
        date_joined=joined,
        password=demo_hash,
    )
    security.groups.add(Group.objects.get(name=roles.SECURITY_ADMIN))
    ctx.writer.rows[User._meta.label] += len(users) + 1


def _create_units(units: list, people: list[Person]) -> dict[str, OrgUnit]:
    """treebeard paths are built by add_root/add_child, in code order (no sibling moves)."""
    managers: dict[str, int] = {}
    for p in people:
        if p.role in (roles.TEAM_LEAD, roles.BRANCH_MANAGER) and p.unit not in managers:
            managers[p.unit] = p.user_id
    created: dict[str, OrgUnit] = {}
    for code, name, kind, parent, city in units:
        fields = {"code": code, "name": name, "kind": kind, "city": city, "manager_id": managers.get(code)}
        created[code] = (
            OrgUnit.objects.add_child(created[parent], fields) if parent else OrgUnit.objects.add_root(fields)
        )
    return created


def _create_advisors(
    ctx: Context,
    rng: np.random.Generator,
    people: list[Person],
    units: dict[str, OrgUnit],
    branch_codes: list[str],
    branch_city: list[int],
) -> Org:
    n = len(people)
    first = ctx.writer.next_id(Advisor)
    ids = np.arange(first, first + n, dtype=np.int64)
    for p, advisor_id in zip(people, ids.tolist(), strict=True):
        p.advisor_id = advisor_id
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

    ctx.writer.write(
        Advisor,
        {
            "id": Ints(ids),
            "user_id": Ints(np.array([p.user_id for p in people], dtype=np.int64)),
            "code": Texts([p.code for p in people]),
            "name": Texts([p.name for p in people]),
            "org_unit_id": Ints(np.array([units[p.unit].pk for p in people], dtype=np.int64)),
            "category": Labels.of(np.array([p.category for p in people])),
            "level": Ints(np.array([p.level for p in people], dtype=np.int64)),
            "licence_no": Texts(licence),
            "email": Texts([f"{p.username}@{MAIL_DOMAIN}" for p in people]),
            "joined_on": Dates(joined),
            "is_active": Bools(np.array([p.active for p in people])),
        },
    )
    advisor_branch = np.array([branch_of(p.unit) for p in people], dtype=np.int64)
    managers = {p.unit: p.user_id for p in people if p.role == roles.BRANCH_MANAGER}
    return Org(
        units=units,
        branch_codes=branch_codes,
        branch_ids=np.array([units[c].pk for c in branch_codes], dtype=np.int64),
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
