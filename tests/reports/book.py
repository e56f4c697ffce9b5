"""A hand-made book whose report figures are known, on the tree HQ → SH → SH01 (teams SH01T1,
SH01T2) and SH02 (team SH02T1).

Clients (yuan; snapshots on 20 Oct, 14 Nov and 20 Nov 2026 — assets on 20 Oct → 20 Nov):

- c1, SH01, ann (T1): 1,000 → 1,500; in 300 (5 Nov), out 100 (6 Nov), in 50 (10 Oct);
  commission 12.50 (10 Nov); contacted 1 Nov; mass → affluent on 12 Nov.
- c2, SH01, ann → bob (T1) on 10 Nov: 2,000 → 2,100; in 1,000 (12 Nov); never contacted; tier hnw;
  named like a spreadsheet formula.
- c3, SH01, cat (T2): opened 3 Nov (new) → 500; first segmentation on 3 Nov.
- c4, SH01, bob (T1): 700 → closed 15 Nov (lost), mature → churned that day; churn alert
  "net outflow 80% in 30 days".
- c5, SH01, nobody: 300 → 400 — the branch's "no advisor" row.
- c6, SH02, dan (T1 of SH02): 5,000 → 4,000; out 1,000 (2 Nov); affluent → mass on 25 Oct.
- c7, SH01, ann: a prospect, never on the book.

Month to date on 20 Nov (1–20 Nov) against 1–20 Oct, whole firm: clients 5 (5), assets 8,500
(9,000), net inflow 200 (50), new 1 (0), lost 1 (0), commission 12.50 (0).

Work in November: ann's alerts due 10 Nov — one done on the 12th (on time: by the 13th), one on
the 15th (late), one closed by the nightly run (not counted), one still open; tickets T1 (ann,
inquiry, within SLA, satisfaction 5), T2 (bob, complaint, first response late, satisfaction 3),
T3 (unassigned, SH01); suitability checks: ann a match and a confirmed mismatch, bob a
prohibited attempt, one check without an advisor for c5.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert
from clients.models import AssetSnapshot, CashFlow, Client, Interaction, SegmentChange, Transaction
from reports.aggregates import refresh_day
from suitability.models import SuitabilityCheck, SuitabilityStep
from tests import factories, personas
from tickets.models import Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCT20, NOV14, NOV20 = datetime.date(2026, 10, 20), datetime.date(2026, 11, 14), datetime.date(2026, 11, 20)


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Book:
    tree: dict
    people: dict[str, Advisor]
    clients: dict[str, Client]


def build_book() -> Book:
    tree = factories.org_tree()
    tree["t3"] = factories.org_unit("SH01T2", OrgUnit.Kind.TEAM, tree["b1"])
    t1, t2, t3, b1, b2, hq = (tree[k] for k in ("t1", "t2", "t3", "b1", "b2", "hq"))
    people = {
        "ann": personas.staff("ann", t1, ["advisor"]),
        "bob": personas.staff("bob", t1, ["advisor"]),
        "cat": personas.staff("cat", t3, ["advisor"]),
        "dan": personas.staff("dan", t2, ["advisor"]),
        "team_lead": personas.staff("team_lead", t1, ["team_lead"]),
        "manager": personas.staff("manager", b1, ["branch_manager"]),
        "other_manager": personas.staff("other_manager", b2, ["branch_manager"]),
        "company_manager": personas.staff("company_manager", tree["sh"], ["branch_manager"]),
        "compliance": personas.staff("compliance", hq, ["compliance"]),
        "ops": personas.staff("ops", hq, ["ops"], is_staff=True),
        "no_role": personas.staff("no_role", t1, []),
    }
    for name in ("team_lead", "manager", "other_manager", "company_manager", "compliance", "ops", "no_role"):
        Advisor.objects.filter(pk=people[name].pk).update(category=Advisor.Category.STAFF)
    ann, bob, cat, dan = (people[k] for k in ("ann", "bob", "cat", "dan"))
    opened = datetime.date(2024, 1, 2)
    c = {
        "c1": factories.ClientFactory(branch=b1, name="Client One", opened_on=opened),
        "c2": factories.ClientFactory(branch=b1, name="=HYPERLINK(evil)", opened_on=opened, tier="hnw"),
        "c3": factories.ClientFactory(branch=b1, name="Client Three", opened_on=d(11, 3)),
        "c4": factories.ClientFactory(
            branch=b1, name="Client Four", opened_on=opened, closed_on=d(11, 15), status=Client.Status.CLOSED
        ),
        "c5": factories.ClientFactory(branch=b1, name="Client Five", opened_on=opened),
        "c6": factories.ClientFactory(branch=b2, name="Client Six", opened_on=opened),
        "c7": factories.ClientFactory(branch=b1, name="Prospect", opened_on=None, status=Client.Status.PROSPECT),
    }
    start = datetime.date(2024, 1, 2)
    for key, advisor in (("c1", ann), ("c3", cat), ("c4", bob), ("c6", dan), ("c7", ann)):
        Assignment.objects.create(client=c[key], advisor=advisor, started_on=c[key].opened_on or start)
        Client.objects.filter(pk=c[key].pk).update(primary_advisor=advisor)
    # c2 moves from ann to bob on 10 November.
    Assignment.objects.create(client=c["c2"], advisor=ann, started_on=start, ended_on=d(11, 10))
    Assignment.objects.create(client=c["c2"], advisor=bob, started_on=d(11, 10))
    Client.objects.filter(pk=c["c2"].pk).update(primary_advisor=bob)

    snapshots = {
        OCT20: {"c1": 1000, "c2": 2000, "c4": 700, "c5": 300, "c6": 5000},
        NOV14: {"c1": 1400, "c2": 2050, "c3": 450, "c4": 10, "c5": 380, "c6": 4100},
        NOV20: {"c1": 1500, "c2": 2100, "c3": 500, "c4": 0, "c5": 400, "c6": 4000},
    }
    for day, values in snapshots.items():
        for key, total in values.items():
            AssetSnapshot.objects.create(client=c[key], as_of=day, total_assets=total, cash=total, securities=0)

    accounts = {key: factories.AccountFactory(client=client) for key, client in c.items()}
    flows = [
        ("c1", d(11, 5), "in", 300),
        ("c1", d(11, 6), "out", 100),
        ("c1", d(10, 10), "in", 50),
        ("c2", d(11, 12), "in", 1000),
        ("c6", d(11, 2), "out", 1000),
    ]
    for n, (key, day, direction, amount) in enumerate(flows):
        CashFlow.objects.create(
            flow_id=f"RF{n}", account=accounts[key], client=c[key], flow_date=day, direction=direction, amount=amount
        )
    product = factories.ProductFactory()
    Transaction.objects.create(
        trade_id="RT1",
        account=accounts["c1"],
        client=c["c1"],
        product=product,
        trade_date=d(11, 10),
        side=Transaction.Side.BUY,
        quantity=1,
        price=100,
        amount=100,
        commission=Decimal("12.50"),
    )
    Interaction.objects.create(client=c["c1"], advisor=ann, channel="call", occurred_at=at(11, 1), summary="Call")

    changes = [
        ("c1", d(9, 1), "tier", "", "mass"),
        ("c1", d(11, 12), "tier", "mass", "affluent"),
        ("c6", d(10, 25), "tier", "affluent", "mass"),
        ("c3", d(11, 3), "lifecycle_stage", "", "new"),
        ("c4", d(11, 15), "lifecycle_stage", "mature", "churned"),
    ]
    for key, day, dimension, old, new in changes:
        SegmentChange.objects.create(client=c[key], as_of=day, dimension=dimension, old_value=old, new_value=new)
    Client.objects.filter(pk=c["c1"].pk).update(tier="affluent")
    Client.objects.filter(pk=c["c4"].pk).update(lifecycle_stage="churned")
    Client.objects.filter(pk=c["c3"].pk).update(lifecycle_stage="new")

    _alerts(c, ann, bob)
    _tickets(c, ann, bob)
    _checks(c, ann, bob, product)
    return Book(tree=tree, people=people, clients=c)


def _alerts(c, ann, bob) -> None:
    def alert(key, advisor, status, closed_at=None, closed_by=None, kind=Alert.Kind.CONTACT_DUE, reason=""):
        made = factories.AlertFactory(
            client=c[key], advisor=advisor, kind=kind, due_on=d(11, 10), status=status, reason=reason
        )
        Alert.objects.filter(pk=made.pk).update(created_at=at(11, 10, 8), closed_at=closed_at, closed_by=closed_by)
        return made

    alert("c1", ann, Alert.Status.DONE, at(11, 12, 15), ann.user)  # on time (by the 13th)
    alert("c1", ann, Alert.Status.DISMISSED, at(11, 15, 9), ann.user)  # late
    alert("c1", ann, Alert.Status.DONE, at(11, 11, 22))  # closed by the nightly run: not counted
    alert("c1", ann, Alert.Status.OPEN)  # still open: due, not worked
    churn = alert("c4", bob, Alert.Status.OPEN, kind=Alert.Kind.CHURN_RISK, reason="net outflow 80% in 30 days")
    Alert.objects.filter(pk=churn.pk).update(due_on=d(11, 1), created_at=at(11, 1, 8))


def _tickets(c, ann, bob) -> None:
    inquiry = factories.TicketKindFactory(code="inquiry")
    complaint = factories.TicketKindFactory(code="complaint", name="Complaint", name_zh="投诉", is_complaint=True)
    t1 = factories.TicketFactory(client=c["c1"], kind=inquiry, assignee=ann.user, status=Ticket.Status.CLOSED)
    Ticket.objects.filter(pk=t1.pk).update(
        created_at=at(11, 2, 9),
        response_due_at=at(11, 2, 17),
        first_responded_at=at(11, 2, 10),
        resolution_due_at=at(11, 5, 17),
        resolved_at=at(11, 4, 10),
        closed_at=at(11, 6, 10),
        satisfaction=5,
    )
    t2 = factories.TicketFactory(client=c["c2"], kind=complaint, assignee=bob.user, status=Ticket.Status.CLOSED)
    Ticket.objects.filter(pk=t2.pk).update(
        created_at=at(11, 3, 9),
        response_due_at=at(11, 3, 12),
        first_responded_at=at(11, 3, 15),  # late
        resolution_due_at=at(11, 6, 17),
        resolved_at=at(11, 5, 10),
        closed_at=at(11, 7, 10),
        satisfaction=3,
    )
    t3 = factories.TicketFactory(client=c["c5"], kind=inquiry)
    Ticket.objects.filter(pk=t3.pk).update(created_at=at(11, 8, 9))


def _checks(c, ann, bob, product) -> None:
    retain = datetime.date(2046, 11, 20)

    def check(key, advisor, outcome, when):
        made = SuitabilityCheck.objects.create(
            client=c[key],
            product=product,
            advisor=advisor,
            initiated_by=SuitabilityCheck.InitiatedBy.ADVISOR,
            outcome=outcome,
            client_level="C3",
            investor_type="ordinary",
            product_level="R3",
            retain_until=retain,
        )
        SuitabilityCheck.objects.filter(pk=made.pk).update(created_at=when)
        return made

    check("c1", ann, SuitabilityCheck.Outcome.MATCH, at(11, 9))
    mismatch = check("c1", ann, SuitabilityCheck.Outcome.MISMATCH_CONFIRMABLE, at(11, 9, 11))
    SuitabilityStep.objects.create(
        check_record=mismatch, kind=SuitabilityStep.Kind.CLIENT_CONFIRMATION, done_at=at(11, 9, 12), retain_until=retain
    )
    check("c2", bob, SuitabilityCheck.Outcome.PROHIBITED, at(11, 10))
    check("c5", None, SuitabilityCheck.Outcome.MATCH, at(11, 11))


# Every day of October and November to the 20th: a comparison period is compared with only when
# each of its days is built (``ReportCalendar.coverage``), as the nightly run and the backfill build them.
BUILT_DAYS = [d(10, n) for n in range(1, 32)] + [d(11, n) for n in range(1, 21)]


def build_days(days=BUILT_DAYS) -> None:
    for day in days:
        refresh_day(day)


def page_table(response, name: str):
    """The table named ``name`` of a report page, with its rows. A page may show a table kept
    written (``Table.write``: the rankings, the service report's advisors), which holds no rows:
    it is built again from the page's report with every row, as the export is, and what the page
    showed must be exactly what that table writes — so a stale written table fails here."""
    from reports import pages

    report = response.context["report"]
    table = report.table(name)
    if table.written is None:
        return table
    if name == "rankings":
        built = pages.rankings(copy.copy(report), report.extra["sort"], every_row=True).table(name)
    else:
        built = pages.service(copy.copy(report), every_row=True).table(name)
    assert table.written == str(built.shown_html)
    assert (table.row_count, table.note) == (len(built.rows), built.note)
    return built
