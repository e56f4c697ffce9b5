"""After the import: the facts the extract does not carry, written through the domain's models
and services — never a derived figure (no tier, segment, score, snapshot or alert).

- the org: a unit's city and manager; an advisor's level, licence, joining date and whether they
  still work here; the demo users' password and the security administrator (outside the tree);
- products: minimum ticket, dual recording, the latest NAV;
- clients: address and the know-your-client answers (occupation, income, assets declared,
  experience, objective, preferred channel), the closing date; accounts' closing dates;
- assignments: who served the client before (transfers) and who shares the service — the
  import opens each client's current primary assignment;
- interactions (then each client's latest contact, ``refresh_last_contact``), households
  (``Relationship`` rows between clients), and service tickets opened and moved through the
  tickets workflow at the moments the plan gives (``time_machine``), so their due times, routing
  and timeline are the app's own.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from advisors.models import Advisor, Assignment, OrgUnit
from clients.models import Account, Client, Interaction, Relationship, refresh_last_contact
from core import roles
from core.bulk.frames import update_rows
from core.bulk.writes import key_map
from core.pii import encrypt
from demo.context import CHINA
from demo.org import DEMO_USERNAMES, MAIL_DOMAIN, Org
from demo.people import Book
from demo.products import Shelf
from demo.servicing import Household, TicketPlan
from demo.writer import Facts
from products.models import Product
from tickets import workflow
from tickets.models import Ticket, TicketKind

BATCH = 2000
RESOLUTION_NOTE = "已与客户沟通并处理完毕，客户确认。"


def _ids(model, field: str, keys) -> dict:
    return key_map(model, field, list(keys))


def _date(value) -> dt.date | None:
    return None if np.isnat(value) else value.astype("datetime64[D]").astype(dt.date)


def finish_org(org: Org, as_of: dt.date) -> dict[str, int]:
    User = get_user_model()
    people = org.people
    users = _ids(User, "username", [p.username for p in people])
    managers: dict[str, int] = {}
    for p in people:
        if p.role in (roles.TEAM_LEAD, roles.BRANCH_MANAGER) and p.unit not in managers:
            managers[p.unit] = users[p.username]
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=[u[0] for u in org.units])}
    for code, _name, _kind, _parent, city in org.units:
        units[code].city, units[code].manager_id = city, managers.get(code)
    OrgUnit.objects.bulk_update(list(units.values()), ["city", "manager"], batch_size=BATCH)

    advisors = {a.code: a for a in Advisor.objects.filter(code__in=[p.code for p in people])}
    for p in people:
        advisor = advisors[p.code]
        advisor.level, advisor.licence_no, advisor.joined_on, advisor.is_active = (
            p.level,
            p.licence_no,
            p.joined,
            p.active,
        )
    Advisor.objects.bulk_update(list(advisors.values()), ["level", "licence_no", "joined_on", "is_active"], BATCH)

    joined = dt.datetime.combine(as_of, dt.time(9, 0), tzinfo=CHINA)
    demo_hash = make_password(settings.CRM_DEMO_PASSWORD)  # once: hashing is deliberately slow
    accounts = list(User.objects.filter(pk__in=users.values()))
    by_name = {p.username: p for p in people}
    for user in accounts:
        person = by_name[user.username]
        user.is_active, user.date_joined = person.active, joined
        if user.username in DEMO_USERNAMES.values():
            user.password = demo_hash
    User.objects.bulk_update(accounts, ["is_active", "date_joined", "password"], batch_size=BATCH)
    # The security administrator: staff with no place in the tree (not in the extract, which
    # never names that role).
    security = User.objects.create(
        username=DEMO_USERNAMES[roles.SECURITY_ADMIN],
        first_name="周安",
        email=f"security@{MAIL_DOMAIN}",
        is_staff=True,
        date_joined=joined,
        password=demo_hash,
    )
    security.groups.add(Group.objects.get(name=roles.SECURITY_ADMIN))
    return {"auth.User": len(accounts) + 1}


def finish_products(facts: Facts, shelf: Shelf) -> None:
    codes = facts.column(Product, "code")
    min_investment = facts.column(Product, "min_investment")
    dual = facts.column(Product, "needs_dual_recording", "raw")
    nav = facts.column(Product, "nav")
    nav_date = facts.column(Product, "nav_date", "raw")
    products = {p.code: p for p in Product.objects.filter(code__in=list(codes))}
    for i, code in enumerate(codes.tolist()):
        product = products[code]
        product.min_investment = min_investment[i]
        product.needs_dual_recording = bool(dual[i])
        product.nav = nav[i] or None
        product.nav_date = _date(nav_date[i])
    Product.objects.bulk_update(
        list(products.values()), ["min_investment", "needs_dual_recording", "nav", "nav_date"], BATCH
    )


def finish_clients(facts: Facts, book: Book) -> dict[str, int]:
    """The client and account facts beyond the extract's columns; returns handle → id maps."""
    clients = _ids(Client, "client_no", book.client_no)
    client_id = np.zeros(int(book.ids.max()) + 1, dtype=np.int64)
    client_id[book.ids] = [clients[no] for no in book.client_no]
    text = {name: facts.column(Client, name) for name in (
        "address", "occupation", "income_band", "financial_assets", "investment_experience_years", "objective",
        "preferred_channel",
    )}  # fmt: skip
    closed = facts.column(Client, "closed_on", "raw")
    experience = text["investment_experience_years"]
    rows = pd.DataFrame(
        {
            "id": [clients[no] for no in book.client_no],
            # object columns: empty strings stay empty (update_rows sends them by VALUES, not COPY)
            "address": pd.Series([encrypt(a) if a else "" for a in text["address"].tolist()], dtype=object),
            "occupation": pd.Series(text["occupation"], dtype=object),
            "income_band": pd.Series(text["income_band"], dtype=object),
            "financial_assets": [value or None for value in text["financial_assets"].tolist()],
            "investment_experience_years": pd.array(
                [int(value) if value else None for value in experience.tolist()], dtype="Int64"
            ),
            "objective": pd.Series(text["objective"], dtype=object),
            "preferred_channel": pd.Series(text["preferred_channel"], dtype=object),
            "closed_on": [_date(day) for day in closed],
        }
    )
    update_rows(
        Client._meta.db_table,
        rows,
        {
            "address": "text",
            "occupation": "varchar",
            "income_band": "varchar",
            "financial_assets": "numeric",
            "investment_experience_years": "integer",
            "objective": "varchar",
            "preferred_channel": "varchar",
            "closed_on": "date",
        },
    )
    account_no = facts.column(Account, "account_no")
    account_closed = facts.column(Account, "closed_on", "raw")
    accounts = _ids(Account, "account_no", account_no)
    closing = [
        Account(pk=accounts[no], closed_on=_date(day))
        for no, day in zip(account_no.tolist(), account_closed, strict=True)
        if not np.isnat(day)
    ]
    Account.objects.bulk_update(closing, ["closed_on"], batch_size=BATCH)
    return {"client_id": client_id}


def _advisor_ids(org: Org) -> np.ndarray:
    found = _ids(Advisor, "code", [p.code for p in org.people])
    out = np.zeros(len(org.people) + 1, dtype=np.int64)
    out[org.advisor_ids] = [found[p.code] for p in org.people]
    return out


def _user_ids(org: Org) -> np.ndarray:
    found = _ids(get_user_model(), "username", [p.username for p in org.people])
    out = np.zeros(len(org.people) + 1, dtype=np.int64)
    out[org.advisor_ids] = [found[p.username] for p in org.people]
    return out


def finish_assignments(facts: Facts, org: Org, client_id: np.ndarray) -> int:
    """The import opened each client's current primary assignment; the generated history adds
    when it started and why, the assignments before it and the shared ones."""
    advisor_id = _advisor_ids(org)
    client = client_id[facts.column(Assignment, "client_id", "raw")]
    advisor = advisor_id[facts.column(Assignment, "advisor_id", "raw")]
    role = facts.column(Assignment, "role")
    started = facts.column(Assignment, "started_on", "raw")
    ended = facts.column(Assignment, "ended_on", "raw")
    reason = facts.column(Assignment, "reason")
    current = {
        (c, a): pk
        for pk, c, a in Assignment.objects.filter(role=Assignment.Role.PRIMARY, ended_on__isnull=True).values_list(
            "pk", "client_id", "advisor_id"
        )
    }
    updates, new = [], []
    for c, a, r, s, e, why in zip(client.tolist(), advisor.tolist(), role, started, ended, reason, strict=True):
        key = (c, a)
        if r == Assignment.Role.PRIMARY and np.isnat(e) and key in current:
            updates.append(Assignment(pk=current[key], started_on=_date(s), reason=why))
        else:
            new.append(
                Assignment(client_id=c, advisor_id=a, role=r, started_on=_date(s), ended_on=_date(e), reason=why)
            )
    update_rows(
        Assignment._meta.db_table,
        pd.DataFrame(
            {
                "id": [a.pk for a in updates],
                "started_on": [a.started_on for a in updates],
                "reason": pd.Series([a.reason for a in updates], dtype=object),
            }
        ),
        {"started_on": "date", "reason": "varchar"},
    )
    Assignment.objects.bulk_create(new, batch_size=BATCH)
    return len(new)


def write_interactions(facts: Facts, org: Org, client_id: np.ndarray) -> int:
    advisor_id, user_id = _advisor_ids(org), _user_ids(org)
    client = client_id[facts.column(Interaction, "client_id", "raw")]
    advisor = facts.column(Interaction, "advisor_id", "raw")
    created_by = facts.column(Interaction, "created_by_id", "raw")
    occurred = facts.column(Interaction, "occurred_at", "raw")
    follow = facts.column(Interaction, "next_follow_up_on", "raw")
    columns = {name: facts.column(Interaction, name) for name in ("channel", "summary", "outcome", "client_risk_level")}
    done = facts.column(Interaction, "follow_up_done", "raw")
    # The user of the advisor handle that created it: advisor handles and user handles agree.
    stamps = [
        dt.datetime.fromisoformat(str(value.astype("datetime64[s]"))).replace(tzinfo=dt.UTC) for value in occurred
    ]
    rows = [
        Interaction(
            client_id=int(client[i]),
            advisor_id=int(advisor_id[advisor[i]]),
            channel=columns["channel"][i],
            occurred_at=stamps[i],
            summary=columns["summary"][i],
            outcome=columns["outcome"][i],
            next_follow_up_on=_date(follow[i]),
            follow_up_done=bool(done[i]),
            client_risk_level=columns["client_risk_level"][i],
            created_by_id=int(user_id[created_by[i]]),
            created_at=stamps[i],
            updated_at=stamps[i],
        )
        for i in range(len(client))
    ]
    Interaction.objects.bulk_create(rows, batch_size=BATCH)
    refresh_last_contact()
    return len(rows)


def write_households(household: Household, book: Book, client_id: np.ndarray) -> int:
    rows = [
        Relationship(client_id=int(client_id[book.ids[a]]), kind=kind, related_client_id=int(client_id[book.ids[b]]))
        for a, kind, b in zip(household.client.tolist(), household.kind, household.related.tolist(), strict=True)
    ]
    Relationship.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def open_tickets(plans: list[TicketPlan], book: Book, client_id: np.ndarray) -> int:
    """Open and move each planned ticket through ``tickets.workflow`` at the planned moments, as
    the client's primary advisor (who takes a branch-queue ticket for themselves)."""
    if not plans:
        return 0
    User = get_user_model()
    kinds = {kind.code: kind for kind in TicketKind.objects.filter(code__in={plan.kind for plan in plans})}
    clients = Client.objects.in_bulk([int(client_id[book.ids[plan.client]]) for plan in plans])
    serving = {c.primary_advisor_id for c in clients.values()}
    advisors = dict(Advisor.objects.filter(pk__in=serving).values_list("pk", "user_id"))
    users = User.objects.in_bulk(set(advisors.values()))
    opened = 0
    for plan in plans:
        client = clients[int(client_id[book.ids[plan.client]])]
        user = users.get(advisors.get(client.primary_advisor_id))
        if user is None or not user.is_active:
            continue
        with time_machine.travel(plan.opened, tick=False):
            ticket = workflow.create_ticket(
                client=client,
                kind=kinds[plan.kind],
                channel=plan.channel,
                subject=plan.subject,
                description=plan.description,
                by=user,
            )
            if ticket.assignee_id is None:
                ticket = workflow.assign(ticket, assignee=user, by=user, version=ticket.version)
        for status, moment in plan.path:
            with time_machine.travel(moment, tick=False):
                ticket = Ticket.objects.get(pk=ticket.pk)
                note = RESOLUTION_NOTE if status == Ticket.Status.RESOLVED else ""
                ticket = workflow.transition(ticket, status, by=user, version=ticket.version, note=note)
        if plan.satisfaction is not None:
            ticket = Ticket.objects.get(pk=ticket.pk)
            with time_machine.travel(plan.path[-1][1], tick=False):
                workflow.record_satisfaction(ticket, score=plan.satisfaction, by=user, version=ticket.version)
        opened += 1
    return opened
