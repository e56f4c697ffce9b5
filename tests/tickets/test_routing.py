"""Routing: complaints to the client's primary advisor with the team lead watching, other kinds
to the branch queue; who may reassign to whom; a ticket follows its client on transfer."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests import factories
from tests.personas import serve, staff
from tests.tickets.conftest import open_ticket, user_of
from tickets import routing, workflow
from tickets.models import Ticket
from workbench.transfers import transfer_book


def test_a_complaint_goes_to_the_primary_advisor_with_the_team_lead_watching(world, clock):
    cast, clients = world
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "manager"))
    assert (ticket.assignee, ticket.status, ticket.branch) == (cast.advisor.user, "assigned", cast.tree["b1"])
    assert list(ticket.watchers.all()) == [cast.team_lead.user]
    routed = ticket.events.get(kind="assignment")
    assert (routed.data["to_user"], routed.data["reason"]) == (cast.advisor.user_id, "routing")


@pytest.mark.parametrize("code", ["inquiry", "account_change", "transfer", "data_correction", "other"])
def test_other_kinds_go_to_the_branch_queue(world, clock, code):
    cast, clients = world
    ticket = open_ticket(clients["elsewhere"], code, by=user_of(cast, "other_advisor"))
    assert (ticket.assignee, ticket.status, ticket.branch) == (None, "new", cast.tree["b2"])
    assert not ticket.watchers.exists()


def test_a_complaint_on_a_client_without_a_primary_advisor_goes_to_the_branch_queue_watched_by_the_manager(
    world, clock
):
    cast, clients = world
    ticket = open_ticket(clients["unserved"], "complaint", by=user_of(cast, "manager"))
    assert (ticket.assignee, ticket.status) == (None, "new")
    assert list(ticket.watchers.all()) == [cast.manager.user]


def test_the_nearest_lead_up_the_tree_is_found(world):
    cast, _ = world
    assert routing.leads_of(cast.tree["t1"], "team_lead") == [cast.team_lead.user]
    assert routing.leads_of(cast.tree["t1"], "branch_manager") == [cast.manager.user]
    assert routing.leads_of(cast.tree["t2"], "team_lead") == []


def test_a_team_lead_reassigns_within_the_team(world, clock):
    cast, clients = world
    lead = user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=lead)
    serve(clients["mine"], cast.colleague, role="shared")
    assert cast.colleague.user in routing.assignable_users(ticket, lead)
    moved = workflow.assign(ticket, assignee=cast.colleague.user, by=lead, version=1, note="Holiday cover")
    assert (moved.assignee, moved.version) == (cast.colleague.user, 2)
    event = moved.events.filter(kind="assignment").latest("pk")
    assert (event.actor, event.body, event.data["from_user"]) == (lead, "Holiday cover", cast.advisor.user_id)


def test_the_new_assignee_must_be_able_to_see_the_client(world, clock):
    cast, clients = world
    lead = user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=lead)
    assert cast.colleague.user not in routing.assignable_users(ticket, lead)
    with pytest.raises(ValidationError) as refused:
        workflow.assign(ticket, assignee=cast.colleague.user, by=lead, version=1)
    assert "share the client" in refused.value.message_dict["assignee"][0]


def test_a_team_lead_cannot_assign_outside_their_team(world, clock):
    cast, clients = world
    lead = user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=lead)
    with pytest.raises(ValidationError) as refused:
        workflow.assign(ticket, assignee=cast.manager.user, by=lead, version=1)
    assert "your team or branch" in refused.value.message_dict["assignee"][0]


def test_a_branch_manager_assigns_a_queue_ticket(world, clock):
    cast, clients = world
    manager = user_of(cast, "manager")
    ticket = open_ticket(clients["colleagues"], "inquiry", by=manager)
    assert set(routing.assignable_users(ticket, manager)) >= {cast.colleague.user, cast.team_lead.user, manager}
    moved = workflow.assign(ticket, assignee=cast.colleague.user, by=manager, version=1)
    assert (moved.status, moved.assignee) == ("assigned", cast.colleague.user)


def test_an_advisor_takes_an_unassigned_ticket_but_does_not_reassign(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "inquiry", by=advisor)
    assert routing.assignable_users(ticket, advisor) == [advisor]
    ticket = workflow.assign(ticket, assignee=advisor, by=advisor, version=1)
    assert ticket.assignee == advisor
    assert routing.assignable_users(ticket, advisor) == []
    with pytest.raises(PermissionDenied):
        workflow.assign(ticket, assignee=cast.team_lead.user, by=advisor, version=2)


def test_a_closed_ticket_is_not_reassigned(world, clock):
    cast, clients = world
    lead = user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=lead)
    ticket = workflow.transition(ticket, "resolved", by=lead, version=1, note="done")
    with pytest.raises(ValidationError):
        workflow.assign(ticket, assignee=lead, by=lead, version=2)


def test_a_ticket_follows_its_client_on_transfer(world, clock):
    cast, clients = world
    newcomer = staff("newcomer", cast.tree["t1"], ["advisor"])
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    transfer_book(
        from_advisor=cast.advisor,
        to_advisor=newcomer,
        reason="advisor_left",
        by=user_of(cast, "manager"),
        clients=[clients["mine"]],
    )
    ticket.refresh_from_db()
    assert ticket.assignee == newcomer.user
    assert ticket.version == 2
    assert Ticket.objects.visible_to(newcomer.user, "change").filter(pk=ticket.pk).exists()
    assert not Ticket.objects.visible_to(cast.advisor.user).filter(pk=ticket.pk).exists()


def test_only_staff_who_can_change_the_client_open_tickets(world, clock):
    cast, clients = world
    for persona in ("compliance", "other_advisor", "colleague", "ops"):
        with pytest.raises(PermissionDenied):
            open_ticket(clients["mine"], "inquiry", by=user_of(cast, persona))
    factories.TicketKindFactory(code="retired", name="Retired", name_zh="停用", is_active=False)
    with pytest.raises(ValidationError):
        open_ticket(clients["mine"], "retired", by=user_of(cast, "advisor"))
