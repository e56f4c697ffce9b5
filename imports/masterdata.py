"""The master-data files of the daily extract: the org tree, advisors, products, clients,
accounts and risk assessments — each a ``FileSpec`` and, where the generic upsert is not
enough, its loader.

Loaders run in ``FILES`` order inside the import's transaction, so a file may refer to rows
that an earlier file of the same folder creates.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import F
from django.utils import timezone

from advisors.models import Advisor, Assignment, OrgUnit
from clients.models import Account, Client
from clients.search_keys import SEARCH_KEY_FIELDS, search_keys
from core import thresholds
from core.bulk.writes import WRITE_BATCH, chunks, existing_values, fetch_rows, key_map, sync
from core.choices import Horizon, InvestorType, ProductRisk, RiskTolerance, Variety
from core.dates import add_months
from core.pii import normalize_email, normalize_id_number, normalize_phone, pii_hash
from core.roles import ADMIN_ROLES, ROLE_NAMES
from imports.columns import (
    Choice,
    ChoiceList,
    Code,
    Column,
    Date,
    Email,
    Flag,
    Integer,
    Money,
    Phone,
    Text,
    Username,
    resident_id_problem,
)
from imports.spec import Context, FileSpec, ParsedFile, Problem, Reference, Written
from products.models import Product
from suitability.models import RiskAssessment, refresh_investor_type, refresh_risk_valid_until, retention_date

# --- Shared pieces ---------------------------------------------------------------------------


def upsert_loader(model, *, key: str, key_column: str, fields: dict[str, str], lookups: dict | None = None):
    """A loader for a plain table: ``fields`` maps columns to model fields; ``lookups`` maps a
    reference column to ``(foreign key attname, target model, target key field)``. A field whose
    optional column the file leaves out is not written: an update keeps the stored value, a
    new row gets the model's default."""
    lookups = lookups or {}
    all_fields = fields

    def load(parsed: ParsedFile, ctx: Context) -> Written:
        values = parsed.values
        fields = {
            column: name for column, name in all_fields.items() if parsed.has(column) or not _optional(parsed, column)
        }
        targets = {
            column: key_map(target, target_field, values[column])
            for column, (_, target, target_field) in lookups.items()
        }
        rows = {}
        for index, row_key in enumerate(values[key_column]):
            row = {name: values[column][index] for column, name in fields.items()}
            for column, (attname, _, _) in lookups.items():
                referenced = values[column][index]
                row[attname] = targets[column][referenced] if referenced else None
            rows[row_key] = row
        compare = [*fields.values(), *(attname for attname, _, _ in lookups.values())]
        result = sync(model, key=key, rows=rows, compare=compare, tick=lambda n: ctx.advance(parsed, n))
        return Written(created=len(result.created), updated=len(result.updated), unchanged=result.unchanged)

    return load


def _optional(parsed: ParsedFile, name: str) -> bool:
    return any(column.optional for column in parsed.spec.columns if column.name == name)


def dates_in_order(earlier: str, later: str):
    """Row check: ``later`` is not before ``earlier`` when both are given."""

    def check(parsed: ParsedFile) -> Iterable[Problem]:
        for index, first, second in parsed.rows(earlier, later):
            if first and second and second < first:
                yield index, later, f"{second} is before {earlier} {first}"

    return check


# --- org_units.csv -----------------------------------------------------------------------------


def _stored_org_units() -> dict[str, dict]:
    """Every stored unit: ``{code: {pk, name, kind, parent}}`` (the tree is small)."""
    rows = list(OrgUnit.objects.values("pk", "code", "name", "kind", "path"))
    code_by_path = {row["path"]: row["code"] for row in rows}
    step = OrgUnit.steplen
    return {
        row["code"]: {**row, "parent": code_by_path.get(row["path"][:-step]) if len(row["path"]) > step else None}
        for row in rows
    }


def _unit_not_own_parent(parsed: ParsedFile) -> Iterable[Problem]:
    for index, code, parent in parsed.rows("code", "parent_code"):
        if code and code == parent:
            yield index, "parent_code", f"unit {code} cannot be its own parent"


def _final_parents(parsed: ParsedFile, stored: dict[str, dict]) -> dict[str, str | None]:
    parents = {code: unit["parent"] for code, unit in stored.items()}
    for _, code, parent in parsed.rows("code", "parent_code"):
        if code:
            parents[code] = parent or None
    return parents


def _org_tree_has_no_loops(parsed: ParsedFile, ctx: Context) -> Iterable[Problem]:
    parents = _final_parents(parsed, _stored_org_units())
    for index, code, parent in parsed.rows("code", "parent_code"):
        if not code or not parent or code == parent:
            continue
        chain, current = [code], parent
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        if current == code:
            yield (
                index,
                "parent_code",
                f"parent {parent} would put unit {code} inside itself ({' → '.join(chain)} → {code})",
            )


def load_org_units(parsed: ParsedFile, ctx: Context) -> Written:
    """Create, rename and move units, parents before children. Treebeard rewrites paths on every
    insert and move, so each step fetches the nodes it needs afresh (the tree is small)."""
    stored = _stored_org_units()
    parents = _final_parents(parsed, stored)

    def depth(code: str) -> int:
        steps, current = 0, parents.get(code)
        while current is not None and steps <= len(parents):
            steps, current = steps + 1, parents.get(current)
        return steps

    rows = {code: (name, kind, parent or None) for _, code, name, kind, parent in parsed.rows(*_ORG_COLUMNS)}
    written = Written()
    for code in sorted(rows, key=lambda c: (depth(c), c)):
        name, kind, parent = rows[code]
        unit = stored.get(code)
        if unit is None:
            if parent:
                OrgUnit.objects.add_child(OrgUnit.objects.get(code=parent), {"code": code, "name": name, "kind": kind})
            else:
                OrgUnit.objects.add_root({"code": code, "name": name, "kind": kind})
            written.created += 1
            continue
        changed = False
        if (unit["name"], unit["kind"]) != (name, kind):
            OrgUnit.objects.filter(pk=unit["pk"]).update(name=name, kind=kind)
            changed = True
        if unit["parent"] != parent:
            node = OrgUnit.objects.get(pk=unit["pk"])
            if parent:
                OrgUnit.objects.move(node, OrgUnit.objects.get(code=parent), "sorted-child")
            else:
                OrgUnit.objects.move(node, OrgUnit.objects.get_first_root_node(), "sorted-sibling")
            changed = True
        if changed:
            written.updated += 1
        else:
            written.unchanged += 1
    ctx.advance(parsed, len(rows))
    return written


_ORG_COLUMNS = ("code", "name", "kind", "parent_code")

ORG_UNITS = FileSpec(
    name="org_units.csv",
    key=("code",),
    columns=(
        Column("code", Code()),
        Column("name", Text(max_length=200)),
        Column("kind", Choice(choices=OrgUnit.Kind)),
        Column("parent_code", Code(required=False)),
    ),
    references=(Reference("parent_code", "org_units.csv", OrgUnit, "code", "parent unit"),),
    row_checks=(_unit_not_own_parent,),
    checks=(_org_tree_has_no_loops,),
    load=load_org_units,
)


# --- advisors.csv ------------------------------------------------------------------------------


def _unique_usernames(parsed: ParsedFile) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for index, username in parsed.rows("username"):
        if not username:
            continue
        if username in first:
            yield index, "username", f"username {username} is also on line {parsed.lines[first[username]]}"
        else:
            first[username] = index


def _usernames_free(parsed: ParsedFile, ctx: Context) -> Iterable[Problem]:
    """A username may be new, or already this advisor's, or a user without an advisor profile
    (who then gets one) — not another advisor's."""
    User = get_user_model()
    codes = [code for code in parsed.values["advisor_code"] if code]
    usernames = [name for name in parsed.values["username"] if name]
    user_of_advisor = existing_values(Advisor, "code", codes, "user_id")
    owner = existing_values(User, "username", usernames, "pk")
    advisor_of_user = existing_values(Advisor, "user_id", owner.values(), "code")
    for index, code, username in parsed.rows("advisor_code", "username"):
        if not code or not username or username not in owner:
            continue
        user_pk = owner[username]
        if user_of_advisor.get(code) == user_pk:
            continue
        other = advisor_of_user.get(user_pk)
        if other is not None:
            yield index, "username", f"username {username} already belongs to advisor {other}"
        elif code in user_of_advisor:
            yield index, "username", f"username {username} is already taken by another user"


def load_advisors(parsed: ParsedFile, ctx: Context) -> Written:
    """Users (created with an unusable password), advisor profiles, and each user's role group
    set to exactly the one named — all set-based."""
    User = get_user_model()
    values = parsed.values
    rows = {
        code: {"username": username, "name": name, "unit": unit, "role": role, "category": category, "email": email}
        for _, code, username, name, unit, role, category, email in parsed.rows(
            "advisor_code", "username", "name", "org_unit_code", "role", "category", "email"
        )
    }
    # The email is written only when the file carries the column (optional).
    has_email = parsed.has("email")
    advisor_fields = ["user_id", "name", "org_unit_id", "category", *(["email"] if has_email else [])]
    stored = fetch_rows(Advisor, "code", list(rows), advisor_fields)
    user_fields = ["username", "first_name", "last_name", "email", "is_staff", "is_superuser"]
    users_by_pk = fetch_rows(User, "pk", [row["user_id"] for row in stored.values()], user_fields)
    users_by_name = fetch_rows(User, "username", values["username"], user_fields)

    new_users, changed_users, touched = [], [], set()
    for code, row in rows.items():
        user = users_by_pk[stored[code]["user_id"]] if code in stored else users_by_name.get(row["username"])
        wanted = {
            "username": row["username"],
            # One field for the whole name: Chinese names do not split into first/last safely.
            "first_name": row["name"][:150],
            "last_name": "",
            "email": row["email"],
            "is_staff": row["role"] in ADMIN_ROLES or bool(user and user["is_superuser"]),
        }
        if not has_email:
            del wanted["email"]
        if user is None:
            new_users.append(User(**wanted, password=make_password(None)))
        elif any(user[name] != value for name, value in wanted.items()):
            changed_users.append(User(pk=user["pk"], **wanted))
            touched.add(code)
    User.objects.bulk_create(new_users, batch_size=WRITE_BATCH)
    written = ["username", "first_name", "last_name", *(["email"] if has_email else []), "is_staff"]
    User.objects.bulk_update(changed_users, written, WRITE_BATCH)

    user_ids = key_map(User, "username", values["username"])
    units = key_map(OrgUnit, "code", values["org_unit_code"])
    advisor_rows = {
        code: {
            "user_id": user_ids[row["username"]],
            "name": row["name"],
            "org_unit_id": units[row["unit"]],
            "category": row["category"],
            **({"email": row["email"]} if has_email else {}),
        }
        for code, row in rows.items()
    }
    result = sync(Advisor, key="code", rows=advisor_rows, compare=advisor_fields, existing=stored)

    # Role groups: remove the memberships of other role groups, add the missing one.
    groups = dict(Group.objects.filter(name__in=ROLE_NAMES).values_list("name", "pk"))
    missing = sorted(set(ROLE_NAMES) - set(groups))
    if missing:
        raise LookupError(f"role groups missing: {', '.join(missing)} (run migrate)")
    Membership = User.groups.through
    wanted_pairs = {(user_ids[row["username"]], groups[row["role"]]): code for code, row in rows.items()}
    code_of_user = {user_id: code for (user_id, _), code in wanted_pairs.items()}
    present, stale = set(), []
    for part in chunks(list(code_of_user)):
        for pk, user_id, group_id in Membership.objects.filter(
            user_id__in=part, group_id__in=groups.values()
        ).values_list("pk", "user_id", "group_id"):
            if (user_id, group_id) in wanted_pairs:
                present.add((user_id, group_id))
            else:
                stale.append(pk)
                touched.add(code_of_user[user_id])
    for part in chunks(stale):
        Membership.objects.filter(pk__in=part).delete()
    added = [Membership(user_id=u, group_id=g) for (u, g) in wanted_pairs if (u, g) not in present]
    Membership.objects.bulk_create(added, batch_size=WRITE_BATCH)
    touched.update(wanted_pairs[(m.user_id, m.group_id)] for m in added)

    created = set(result.created)
    updated = (set(result.updated) | touched) - created
    ctx.advance(parsed, len(rows))
    return Written(
        created=len(created),
        updated=len(updated),
        unchanged=len(rows) - len(created) - len(updated),
        details={"users created": len(new_users)} if new_users else {},
    )


ADVISORS = FileSpec(
    name="advisors.csv",
    key=("advisor_code",),
    columns=(
        Column("advisor_code", Code()),
        Column("username", Username()),
        Column("name", Text(max_length=100)),
        Column("org_unit_code", Code()),
        Column("role", Choice(choices=ROLE_NAMES)),
        Column("category", Choice(choices=Advisor.Category)),
        Column("email", Email(), optional=True),
    ),
    references=(Reference("org_unit_code", "org_units.csv", OrgUnit, "code", "org unit"),),
    row_checks=(_unique_usernames,),
    checks=(_usernames_free,),
    load=load_advisors,
)


# --- products.csv ------------------------------------------------------------------------------

PRODUCTS = FileSpec(
    name="products.csv",
    key=("product_code",),
    columns=(
        Column("product_code", Code()),
        Column("name", Text(max_length=200)),
        Column("product_type", Choice(choices=Product.ProductType)),
        Column("risk_level", Choice(choices=ProductRisk)),
        Column("horizon", Choice(choices=Horizon)),
        Column("variety", Choice(choices=Variety)),
        Column("issuer", Text(max_length=200, required=False), optional=True),
        Column("launch_date", Date()),
        Column("maturity_date", Date()),
        Column("status", Choice(choices=Product.Status)),
        Column("professional_only", Flag(), optional=True),
        Column("access_min_assets", Money(), optional=True),
    ),
    row_checks=(dates_in_order("launch_date", "maturity_date"),),
    load=upsert_loader(
        Product,
        key="code",
        key_column="product_code",
        fields={
            column: column
            for column in (
                "name",
                "product_type",
                "risk_level",
                "horizon",
                "variety",
                "issuer",
                "launch_date",
                "maturity_date",
                "status",
                "professional_only",
                "access_min_assets",
            )
        },
    ),
)


# --- clients.csv -------------------------------------------------------------------------------


def _client_id_numbers(parsed: ParsedFile) -> Iterable[Problem]:
    for index, id_type, id_number in parsed.rows("id_type", "id_number"):
        if id_type == Client.IdType.ID_CARD and id_number:
            reason = resident_id_problem(normalize_id_number(id_number))
            if reason:
                yield index, "id_number", reason


@dataclass
class _AssignmentPlan:
    primary: dict[str, int | None] = field(default_factory=dict)  # client_no → primary advisor afterwards
    open: dict[str, tuple[int, datetime.date]] = field(default_factory=dict)  # client_no → (advisor, start)
    end: list[int] = field(default_factory=list)  # assignments to end today


def _plan_assignments(parsed: ParsedFile, ctx: Context, stored: dict, advisors: dict) -> _AssignmentPlan:
    """Which primary assignments to end and to open.

    "Changed since the last import" is judged against the latest primary assignment that an
    import opened: when the file still names that advisor, nothing happens even if a branch
    manager has transferred the client in the CRM since — the extract does not undo transfers.
    A blank advisor_code leaves the client's assignments alone.
    """
    today = ctx.today
    client_pks = [row["pk"] for row in stored.values()]
    active_primary: dict[int, tuple[int, int]] = {}  # client → (assignment, advisor)
    active_shared: dict[tuple[int, int], int] = {}  # (client, advisor) → assignment
    last_imported: dict[int, int] = {}  # client → advisor
    for part in chunks(client_pks):
        for pk, client, advisor, role in Assignment.objects.filter(
            client_id__in=part, ended_on__isnull=True
        ).values_list("pk", "client_id", "advisor_id", "role"):
            if role == Assignment.Role.PRIMARY:
                active_primary[client] = (pk, advisor)
            else:
                active_shared[(client, advisor)] = pk
        imported = Assignment.objects.filter(
            client_id__in=part, role=Assignment.Role.PRIMARY, reason=Assignment.Reason.IMPORT
        ).order_by("client_id", "started_on", "pk")
        last_imported.update(imported.values_list("client_id", "advisor_id"))

    plan = _AssignmentPlan()
    for _, client_no, advisor_code, opened_on in parsed.rows("client_no", "advisor_code", "opened_on"):
        advisor = advisors.get(advisor_code) if advisor_code else None
        row = stored.get(client_no)
        if row is None:
            plan.primary[client_no] = advisor
            if advisor:
                plan.open[client_no] = (advisor, opened_on if opened_on and opened_on <= today else today)
            continue
        client = row["pk"]
        current = active_primary.get(client)
        current_advisor = current[1] if current else None
        if advisor is None or advisor in (last_imported.get(client), current_advisor):
            plan.primary[client_no] = current_advisor
            continue
        if current:
            plan.end.append(current[0])
        if (client, advisor) in active_shared:  # the shared advisor becomes the primary one
            plan.end.append(active_shared[(client, advisor)])
        plan.open[client_no] = (advisor, today)
        plan.primary[client_no] = advisor
    return plan


_CLIENT_COMPARE = [
    "name",
    "client_type",
    "gender",
    "birth_date",
    "id_type",
    "id_number_hash",
    "phone_hash",
    "email_hash",
    "branch_id",
    "opened_on",
    "status",
    "primary_advisor_id",
]


def load_clients(parsed: ParsedFile, ctx: Context) -> Written:
    """Upsert clients (PII encrypted by the fields on the way in, hashes computed here), then
    end and open primary assignments as planned, keeping history."""
    values = parsed.values
    branches = key_map(OrgUnit, "code", values["branch_code"])
    advisors = key_map(Advisor, "code", [code for code in values["advisor_code"] if code])
    # The opt-out is written only when the file carries the column: a counter system that does
    # not export it leaves the opt-outs recorded in the CRM alone.
    opt_out = parsed.has("marketing_opt_out")
    compare = [*_CLIENT_COMPARE, "marketing_opt_out"] if opt_out else _CLIENT_COMPARE
    # Likewise the email, which not every counter system exports (phone numbers it does: they
    # also make the search keys).
    has_email = parsed.has("email")
    if not has_email:
        compare = [name for name in compare if name != "email_hash"]
    stored = fetch_rows(Client, "client_no", values["client_no"], compare)
    plan = _plan_assignments(parsed, ctx, stored, advisors)

    rows = {}
    columns = ("client_no", "name", "client_type", "gender", "birth_date", "id_type", "id_number", "phone", "email")
    more = ("branch_code", "opened_on", "status")
    for index, client_no, name, client_type, gender, birth, id_type, id_number, phone, email in parsed.rows(*columns):
        branch_code, opened_on, status = (values[column][index] for column in more)
        if id_type == Client.IdType.ID_CARD:
            id_number = normalize_id_number(id_number)
        rows[client_no] = {
            "name": name,
            "client_type": client_type,
            "gender": gender,
            "birth_date": birth,
            "id_type": id_type,
            "id_number": id_number,
            "id_number_hash": pii_hash(normalize_id_number(id_number)),
            "phone": phone,
            "phone_hash": pii_hash(normalize_phone(phone)),
            "email": email,
            "email_hash": pii_hash(normalize_email(email)),
            # The search columns (phone tail, pinyin, name parts): as Client.save computes them.
            **search_keys(name=name, phone=phone, individual=client_type != Client.ClientType.INSTITUTION),
            "branch_id": branches[branch_code],
            "opened_on": opened_on,
            "status": status,
            "primary_advisor_id": plan.primary[client_no],
        }
        if opt_out:
            rows[client_no]["marketing_opt_out"] = values["marketing_opt_out"][index]
        if not has_email:
            del rows[client_no]["email"], rows[client_no]["email_hash"]
    result = sync(
        Client,
        key="client_no",
        rows=rows,
        compare=compare,
        update=[*compare, "id_number", "phone", *(["email"] if has_email else []), *SEARCH_KEY_FIELDS],
        existing=stored,
        tick=lambda n: ctx.advance(parsed, n),
    )

    today = ctx.today
    for part in chunks(plan.end):
        ending = Assignment.objects.filter(pk__in=part)
        ending.filter(started_on__lte=today).update(ended_on=today)
        ending.filter(started_on__gt=today).update(ended_on=F("started_on"))
    client_pks = {client_no: row["pk"] for client_no, row in stored.items()}
    client_pks.update(key_map(Client, "client_no", result.created))
    actor_pk = getattr(ctx.actor, "pk", None)
    Assignment.objects.bulk_create(
        [
            Assignment(
                client_id=client_pks[client_no],
                advisor_id=advisor,
                role=Assignment.Role.PRIMARY,
                started_on=started_on,
                reason=Assignment.Reason.IMPORT,
                created_by_id=actor_pk,
            )
            for client_no, (advisor, started_on) in plan.open.items()
        ],
        batch_size=WRITE_BATCH,
    )
    details = {"assignments opened": len(plan.open), "assignments ended": len(plan.end)}
    return Written(
        created=len(result.created),
        updated=len(result.updated),
        unchanged=result.unchanged,
        details={name: count for name, count in details.items() if count},
    )


CLIENTS = FileSpec(
    name="clients.csv",
    key=("client_no",),
    columns=(
        Column("client_no", Code()),
        Column("name", Text(max_length=200)),
        Column("client_type", Choice(choices=Client.ClientType)),
        Column("gender", Choice(choices=Client.Gender, required=False, blank=Client.Gender.UNKNOWN.value)),
        Column("birth_date", Date(past=True)),
        Column("id_type", Choice(choices=Client.IdType, noun="ID type")),
        Column("id_number", Text(max_length=64, required=False)),
        Column("phone", Phone()),
        Column("email", Email(), optional=True),
        Column("branch_code", Code()),
        Column("advisor_code", Code(required=False), optional=True),
        Column("opened_on", Date()),
        Column("status", Choice(choices=Client.Status)),
        Column("marketing_opt_out", Flag(), optional=True),
    ),
    references=(
        Reference("branch_code", "org_units.csv", OrgUnit, "code", "branch", kind=OrgUnit.Kind.BRANCH),
        Reference("advisor_code", "advisors.csv", Advisor, "code", "advisor"),
    ),
    row_checks=(_client_id_numbers,),
    load=load_clients,
)


# --- accounts.csv ------------------------------------------------------------------------------

ACCOUNTS = FileSpec(
    name="accounts.csv",
    key=("account_no",),
    columns=(
        Column("account_no", Code()),
        Column("client_no", Code()),
        Column("account_type", Choice(choices=Account.AccountType)),
        Column("opened_on", Date()),
        Column("status", Choice(choices=Account.Status)),
    ),
    references=(Reference("client_no", "clients.csv", Client, "client_no", "client"),),
    load=upsert_loader(
        Account,
        key="account_no",
        key_column="account_no",
        fields={"account_type": "account_type", "opened_on": "opened_on", "status": "status"},
        lookups={"client_no": ("client_id", Client, "client_no")},
    ),
)


# --- assessments.csv ---------------------------------------------------------------------------


def _lowest_category_is_c1(parsed: ParsedFile) -> Iterable[Problem]:
    for index, lowest, level in parsed.rows("lowest_category", "risk_level"):
        if lowest and level and level != RiskTolerance.C1:
            yield index, "lowest_category", f"the lowest category (1) requires risk level C1, not {level}"


def load_assessments(parsed: ParsedFile, ctx: Context) -> Written:
    """Append the assessments not already there (same client, same local date — whatever
    created it), then set each client's risk level to that of their latest assessment."""
    values = parsed.values
    zone = ZoneInfo(settings.TIME_ZONE)
    months = thresholds.current()["assessment_valid_months"]
    clients = key_map(Client, "client_no", values["client_no"])
    client_pks = sorted(set(clients.values()))
    stored = set()
    for part in chunks(client_pks):
        for client, assessed_at in RiskAssessment.objects.filter(client_id__in=part).values_list(
            "client_id", "assessed_at"
        ):
            stored.add((client, timezone.localtime(assessed_at, zone).date()))

    new, ignored = [], 0
    columns = ("client_no", "assessed_on", "score", "risk_level", "lowest_category", "investor_type", "horizon")
    for index, client_no, assessed_on, score, level, lowest, investor_type, horizon in parsed.rows(*columns):
        client = clients[client_no]
        if (client, assessed_on) in stored:
            ignored += 1
            continue
        new.append(
            RiskAssessment(
                client_id=client,
                score=score,
                risk_level=level,
                lowest_category=lowest,
                investor_type=investor_type,
                horizon=horizon,
                varieties=values["varieties"][index],
                assessed_at=datetime.datetime.combine(assessed_on, datetime.time.min, tzinfo=zone),
                valid_until=values["valid_until"][index] or add_months(assessed_on, months),
                retain_until=retention_date(assessed_on),
                source=RiskAssessment.Source.IMPORT,
            )
        )
    RiskAssessment.objects.bulk_create(new, batch_size=WRITE_BATCH, ignore_conflicts=True)

    levels_changed = _refresh_risk_levels(client_pks)
    for part in chunks(sorted({assessment.client_id for assessment in new})):
        refresh_risk_valid_until(part)
        refresh_investor_type(part)
    ctx.advance(parsed, len(parsed))
    return Written(
        created=len(new),
        ignored=ignored,
        details={"client risk levels updated": levels_changed} if levels_changed else {},
    )


def _refresh_risk_levels(client_pks: list[int]) -> int:
    """Set ``Client.risk_level`` to the level of each client's latest assessment: one read per
    chunk, then one UPDATE per level (there are five) for the clients whose level changes."""
    changed = 0
    for part in chunks(client_pks):
        latest: dict[int, str] = {}
        ordered = RiskAssessment.objects.filter(client_id__in=part).order_by("client_id", "-assessed_at", "-pk")
        for client, level in ordered.values_list("client_id", "risk_level"):
            latest.setdefault(client, level)
        current = dict(Client.objects.filter(pk__in=part).values_list("pk", "risk_level"))
        by_level: dict[str, list[int]] = {}
        for client, level in latest.items():
            if current.get(client) != level:
                by_level.setdefault(level, []).append(client)
        for level, clients in by_level.items():
            changed += Client.objects.filter(pk__in=clients).update(risk_level=level, updated_at=timezone.now())
    return changed


ASSESSMENTS = FileSpec(
    name="assessments.csv",
    key=("client_no", "assessed_on"),
    columns=(
        Column("client_no", Code()),
        Column("assessed_on", Date(required=True, past=True)),
        Column("score", Integer(minimum=0)),
        Column("risk_level", Choice(choices=RiskTolerance)),
        Column("lowest_category", Flag()),
        Column("investor_type", Choice(choices=InvestorType)),
        Column("horizon", Choice(choices=Horizon)),
        Column("varieties", ChoiceList(choices=Variety, noun="variety")),
        Column("valid_until", Date(), optional=True),
    ),
    references=(Reference("client_no", "clients.csv", Client, "client_no", "client"),),
    row_checks=(_lowest_category_is_c1, dates_in_order("assessed_on", "valid_until")),
    load=load_assessments,
)


FILES: tuple[FileSpec, ...] = (ORG_UNITS, ADVISORS, PRODUCTS, CLIENTS, ACCOUNTS, ASSESSMENTS)
