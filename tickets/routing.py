"""Who a ticket goes to, who watches it, who may hand it on and to whom.

- A kind routed to the client's primary advisor (complaints, by default) is assigned to the
  client's primary advisor, with the team lead(s) of the advisor's team as watchers. A client
  without an active primary advisor falls back to the branch queue, watched by the branch
  manager.
- Every other kind goes to the branch queue: no assignee, ``branch`` = the client's branch.
- Team leads and branch managers (re)assign tickets to people in their unit's subtree; an
  advisor may take an unassigned ticket for themselves. The assignee must be able to change the
  client through the access layer (a ticket is never visible to someone who cannot see its
  client): to hand a ticket to a colleague who does not serve the client, share the client
  with them first.
- A ticket follows its client on transfer (``workbench.transfers.transfer_book``).

"Team lead of a unit" is the nearest unit up the tree, starting at the unit itself, that has an
active user with that role (and an active Advisor profile there); the same for branch managers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from advisors.models import Advisor, OrgUnit
from clients.models import Client
from core import roles
from core.access import CLIENT_FACING_ROLES, access_profile
from tickets.models import Ticket, TicketKind

User = get_user_model()


@dataclass
class Route:
    assignee: Any = None
    watchers: list = field(default_factory=list)


def _ancestor_paths(unit: OrgUnit) -> list[str]:
    step = OrgUnit.steplen
    return [unit.path[: step * depth] for depth in range(1, len(unit.path) // step + 1)]


def leads_of(unit: OrgUnit | None, role: str) -> list:
    """The users holding ``role`` in the nearest unit at or above ``unit`` that has any."""
    if unit is None:
        return []
    advisors = (
        Advisor.objects.filter(
            org_unit__path__in=_ancestor_paths(unit),
            is_active=True,
            user__is_active=True,
            user__groups__name=role,
        )
        .select_related("user", "org_unit")
        .order_by("-org_unit__depth", "code")
    )
    found = list(advisors)
    if not found:
        return []
    nearest = found[0].org_unit.depth
    return [advisor.user for advisor in found if advisor.org_unit.depth == nearest]


def route(client: Client, kind: TicketKind) -> Route:
    """Where a new ticket of ``kind`` on ``client`` goes."""
    if kind.routing == TicketKind.Routing.PRIMARY_ADVISOR:
        primary = (
            Advisor.objects.select_related("user", "org_unit").filter(pk=client.primary_advisor_id).first()
            if client.primary_advisor_id
            else None
        )
        if primary is not None and primary.is_active and primary.user.is_active:
            watchers = [user for user in leads_of(primary.org_unit, roles.TEAM_LEAD) if user.pk != primary.user_id]
            return Route(assignee=primary.user, watchers=watchers)
        return Route(assignee=None, watchers=leads_of(client.branch, roles.BRANCH_MANAGER))
    return Route()


def escalation_recipients(ticket: Ticket, level: int) -> list:
    """Level 1: the team lead of the assignee's team (the branch manager when there is none, or
    when the ticket is unassigned); level 2: the branch manager of the ticket's branch."""
    if level == 1 and ticket.assignee_id:
        advisor = Advisor.objects.select_related("org_unit").filter(user_id=ticket.assignee_id).first()
        if advisor is not None:
            leads = [user for user in leads_of(advisor.org_unit, roles.TEAM_LEAD) if user.pk != ticket.assignee_id]
            if leads:
                return leads
    return leads_of(ticket.branch, roles.BRANCH_MANAGER)


def _can_change_client(user, client_id: int) -> bool:
    return Client.objects.visible_to(user, "change").filter(pk=client_id).exists()


def reassigns(user) -> bool:
    """Whether the user hands tickets on (team leads, branch managers, superusers)."""
    profile = access_profile(user)
    return profile.is_superuser or (
        profile.unit_path is not None and bool(profile.roles & {roles.TEAM_LEAD, roles.BRANCH_MANAGER})
    )


def assignment_refusal(by, ticket: Ticket, assignee) -> dict[str, str] | None:
    """Why ``by`` may not assign ``ticket`` to ``assignee`` (``{"assignee" | "__all__": reason}``),
    or None when they may."""
    if ticket.status not in Ticket.OPEN_STATUSES:
        return {"__all__": _("A resolved or closed ticket cannot be reassigned; reopen it first.")}
    if assignee.pk == ticket.assignee_id:
        return {"assignee": _("The ticket is already assigned to this person.")}
    profile = access_profile(by)
    if not profile.is_superuser:
        if reassigns(by):
            target = access_profile(assignee)
            if assignee.pk != by.pk and not (target.unit_path or "").startswith(profile.unit_path):
                return {"assignee": _("You can assign tickets only to people in your team or branch.")}
        elif not (assignee.pk == by.pk and ticket.assignee_id is None):
            return {
                "__all__": _("Only team leads and branch managers reassign tickets; you can take an unassigned one.")
            }
    target = access_profile(assignee)
    if not (target.is_active and target.roles & CLIENT_FACING_ROLES):
        return {"assignee": _("This person cannot work on tickets.")}
    if not _can_change_client(assignee, ticket.client_id):
        return {"assignee": _("This person cannot see the client; share the client with them first.")}
    return None


def assignable_users(ticket: Ticket, by) -> list:
    """The people ``by`` may assign ``ticket`` to, for the page's picker (a short list: the
    client-facing staff of their unit who can change the client)."""
    if ticket.status not in Ticket.OPEN_STATUSES:
        return []
    profile = access_profile(by)
    if not reassigns(by):
        return [by] if ticket.assignee_id is None and _can_change_client(by, ticket.client_id) else []
    candidates = User.objects.filter(
        is_active=True,
        advisor__is_active=True,
        groups__name__in=CLIENT_FACING_ROLES,
    ).distinct()
    if not profile.is_superuser:
        candidates = candidates.filter(advisor__org_unit__path__startswith=profile.unit_path)
    users = []
    for user in candidates.order_by("username")[:200]:
        if user.pk != ticket.assignee_id and _can_change_client(user, ticket.client_id):
            users.append(user)
    return users
