"""Named people on a small org tree, and a client book for each — the cast of the access,
sharing and transfer tests.

The tree (``factories.org_tree``): HQ → SH → branches SH01 and SH02 → teams SH01T1 and SH02T1.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from advisors.models import Advisor, Assignment
from campaigns.models import Campaign, CampaignTarget
from clients.models import (
    AssetSnapshot,
    CashBalance,
    CashFlow,
    Client,
    Interaction,
    Position,
    Relationship,
    SegmentChange,
    Transaction,
)
from suitability.models import InvestorClassification, SuitabilityCheck
from tests import factories

TODAY = factories.TODAY


def staff(username: str, unit, roles: list[str], **user_fields) -> Advisor:
    """A user with the given roles and an Advisor profile in ``unit``."""
    user = factories.UserFactory(username=username, roles=roles)
    for name, value in user_fields.items():
        setattr(user, name, value)
    if user_fields:
        user.save()
    return factories.AdvisorFactory(user=user, org_unit=unit, code=username.upper())


def serve(client: Client, advisor: Advisor, role: str = Assignment.Role.PRIMARY) -> Assignment:
    assignment = factories.AssignmentFactory(client=client, advisor=advisor, role=role)
    if role == Assignment.Role.PRIMARY:
        client.primary_advisor = advisor
        client.save(update_fields=["primary_advisor"])
    return assignment


@dataclass
class Cast:
    tree: dict
    advisor: Advisor
    colleague: Advisor
    other_advisor: Advisor
    team_lead: Advisor
    manager: Advisor
    other_manager: Advisor
    compliance: Advisor
    ops: Advisor
    hq_user: Advisor
    no_role: Advisor


def cast(tree) -> Cast:
    t1, t2, b1, b2, hq = tree["t1"], tree["t2"], tree["b1"], tree["b2"], tree["hq"]
    return Cast(
        tree=tree,
        advisor=staff("advisor", t1, ["advisor"]),
        colleague=staff("colleague", t1, ["advisor"]),
        other_advisor=staff("other_advisor", t2, ["advisor"]),
        team_lead=staff("team_lead", t1, ["team_lead"]),
        manager=staff("manager", b1, ["branch_manager"]),
        other_manager=staff("other_manager", b2, ["branch_manager"]),
        compliance=staff("compliance", hq, ["compliance"]),
        ops=staff("ops", hq, ["ops"], is_staff=True),
        hq_user=staff("hq_user", hq, ["advisor"]),
        no_role=staff("no_role", t1, []),
    )


def client_records(client: Client, advisor: Advisor, product, campaign: Campaign, n: int) -> None:
    """One row of every client-related model for ``client``."""
    account = factories.AccountFactory(client=client)
    money = Decimal("100.00")
    Position.objects.create(
        account=account, client=client, product=product, as_of=TODAY, quantity=1, market_value=money, cost=money
    )
    CashBalance.objects.create(account=account, client=client, as_of=TODAY, cash=money)
    Transaction.objects.create(
        trade_id=f"T-{n}",
        account=account,
        client=client,
        product=product,
        trade_date=TODAY,
        side=Transaction.Side.BUY,
        quantity=1,
        price=money,
        amount=money,
    )
    CashFlow.objects.create(
        flow_id=f"F-{n}", account=account, client=client, flow_date=TODAY, direction="in", amount=money
    )
    AssetSnapshot.objects.create(client=client, as_of=TODAY, total_assets=money, cash=money, securities=0)
    SegmentChange.objects.create(client=client, as_of=TODAY, dimension="tier", new_value="mass")
    Relationship.objects.create(client=client, kind=Relationship.Kind.TRUSTED_CONTACT, contact_name="联系人")
    Interaction.objects.create(
        client=client, advisor=advisor, channel="call", occurred_at=timezone.now(), summary="Called"
    )
    factories.AlertFactory(client=client, advisor=advisor)
    assessment = factories.RiskAssessmentFactory(client=client)
    retain = datetime.date(2046, 11, 20)
    InvestorClassification.objects.create(
        client=client, investor_type="ordinary", status=InvestorClassification.Status.APPROVED, retain_until=retain
    )
    SuitabilityCheck.objects.create(
        client=client,
        product=product,
        advisor=advisor,
        assessment=assessment,
        initiated_by=SuitabilityCheck.InitiatedBy.ADVISOR,
        outcome=SuitabilityCheck.Outcome.MATCH,
        client_level="C3",
        investor_type="ordinary",
        product_level="R3",
        retain_until=retain,
    )
    factories.TicketFactory(client=client, assignee=advisor.user)
    CampaignTarget.objects.create(campaign=campaign, client=client, advisor=advisor)


def world(tree) -> tuple[Cast, dict[str, Client]]:
    """The cast and four clients with one row of every client-related model each:

    ``mine`` (the advisor's, branch SH01), ``colleagues`` (the colleague's, same team),
    ``unserved`` (SH01, nobody's book: its advisor left), ``elsewhere`` (the other advisor's,
    branch SH02).
    """
    people = cast(tree)
    b1, b2 = tree["b1"], tree["b2"]
    clients = {
        "mine": factories.ClientFactory(branch=b1),
        "colleagues": factories.ClientFactory(branch=b1),
        "unserved": factories.ClientFactory(branch=b1),
        "elsewhere": factories.ClientFactory(branch=b2),
    }
    serve(clients["mine"], people.advisor)
    serve(clients["colleagues"], people.colleague)
    serve(clients["elsewhere"], people.other_advisor)
    # The unserved client's advisor has left: history only, which gives nobody access.
    factories.AssignmentFactory(client=clients["unserved"], advisor=people.colleague, ended_on=factories.TODAY)
    product = factories.ProductFactory()
    campaign = Campaign.objects.create(
        code="CMP", name="Spring", org_unit=b1, starts_on=factories.TODAY, ends_on=factories.TODAY
    )
    for n, (name, client) in enumerate(clients.items()):
        owner = {"colleagues": people.colleague, "elsewhere": people.other_advisor}.get(name, people.advisor)
        client_records(client, owner, product, campaign, n)
    return people, clients


# Which of the world's clients each persona sees (view) and changes (change).
EVERYONE = ("mine", "colleagues", "unserved", "elsewhere")
VIEW = {
    "advisor": {"mine"},
    "colleague": {"colleagues"},
    "other_advisor": {"elsewhere"},
    "team_lead": {"mine", "colleagues"},
    "manager": {"mine", "colleagues", "unserved"},
    "other_manager": {"elsewhere"},
    "compliance": set(EVERYONE),
    "ops": set(),
    "hq_user": set(EVERYONE),
    "no_role": set(),
}
CHANGE = {**VIEW, "compliance": set(), "hq_user": set()}
