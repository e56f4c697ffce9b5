"""The life cycle: every (from, to) pair of statuses allowed or refused as the table says, the
guards (assignee, notes), what each move records, comments, priority, satisfaction."""

from __future__ import annotations

import itertools

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tests.tickets.conftest import at, open_ticket, user_of
from tickets import workflow
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
ALL = list(S.values)

# The life cycle as the issue states it, written out independently of workflow.TRANSITIONS.
EXPECTED = {
    ("new", "assigned"),
    ("assigned", "in_progress"),
    ("assigned", "waiting_client"),
    ("assigned", "resolved"),
    ("in_progress", "waiting_client"),
    ("in_progress", "resolved"),
    ("waiting_client", "in_progress"),
    ("waiting_client", "resolved"),
    ("resolved", "closed"),
    ("resolved", "in_progress"),  # reopen
    ("closed", "in_progress"),  # reopen
}


@pytest.mark.parametrize(("current", "to"), list(itertools.product(ALL, ALL)))
def test_every_pair_of_statuses_is_allowed_or_refused_as_the_table_says(current, to):
    ticket = Ticket(status=current, assignee_id=1)
    reason = workflow.refusal(ticket, to, note="a note")
    if (current, to) in EXPECTED:
        assert reason is None
    else:
        assert reason is not None
        assert "cannot move" in reason


def test_the_refusal_names_the_moves_that_are_allowed():
    reason = workflow.refusal(Ticket(status=S.NEW), S.RESOLVED)
    assert reason == "A ticket that is “New” cannot move to “Resolved”. Allowed: Assigned."


def test_an_unknown_status_is_refused():
    assert "not a ticket status" in workflow.refusal(Ticket(status=S.NEW), "lost")


def test_assigned_needs_an_assignee_and_resolving_and_reopening_need_a_note():
    assert workflow.refusal(Ticket(status=S.NEW, assignee_id=None), S.ASSIGNED) == "Assign the ticket to someone first."
    assert "note is required" in workflow.refusal(Ticket(status=S.IN_PROGRESS), S.RESOLVED, "  ")
    assert "reopened" in workflow.refusal(Ticket(status=S.CLOSED), S.IN_PROGRESS)
    assert workflow.refusal(Ticket(status=S.RESOLVED), S.CLOSED) is None  # closing needs no note


PATHS = {
    "in_progress": ["in_progress"],
    "waiting_client": ["waiting_client"],
    "resolved": ["resolved"],
    "closed": ["resolved", "closed"],
}


@pytest.mark.parametrize(("current", "to"), sorted(EXPECTED - {("new", "assigned")}))
def test_each_allowed_move_is_made_and_recorded_on_the_timeline(world, clock, current, to):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)  # routed: assigned
    for step in PATHS.get(current, []):
        ticket = workflow.transition(ticket, step, by=advisor, version=ticket.version, note="step")
    assert ticket.status == current
    before = ticket.version
    moved = workflow.transition(ticket, to, by=advisor, version=before, note="why")
    assert (moved.status, moved.version) == (to, before + 1)
    event = moved.events.order_by("-pk").first()
    assert (event.kind, event.from_status, event.to_status, event.actor, event.body) == (
        "transition",
        current,
        to,
        advisor,
        "why",
    )


def test_a_refused_move_changes_nothing_and_says_why(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    events = ticket.events.count()
    with pytest.raises(ValidationError) as refused:
        workflow.transition(ticket, S.CLOSED, by=advisor, version=ticket.version)
    assert "cannot move to “Closed”" in refused.value.message_dict["to"][0]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.events.count()) == (S.ASSIGNED, 1, events)


def test_resolving_reopening_and_closing_keep_their_times(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    clock.move_to(at(20, 11))
    ticket = workflow.transition(ticket, S.IN_PROGRESS, by=advisor, version=1)
    assert ticket.first_responded_at == at(20, 11)
    clock.move_to(at(20, 12))
    ticket = workflow.transition(ticket, S.RESOLVED, by=advisor, version=2, note="Refunded the fee")
    ticket = workflow.record_satisfaction(ticket, score=2, note="slow", by=advisor, version=3)
    assert (ticket.resolved_at, ticket.satisfaction) == (at(20, 12), 2)
    ticket = workflow.transition(ticket, S.IN_PROGRESS, by=advisor, version=4, note="Client called back")
    assert (ticket.resolved_at, ticket.satisfaction, ticket.first_responded_at) == (None, None, at(20, 11))
    assert ticket.events.filter(kind="transition", data__reopened=True).count() == 1
    ticket = workflow.transition(ticket, S.RESOLVED, by=advisor, version=5, note="Done")
    clock.move_to(at(20, 13))
    ticket = workflow.transition(ticket, S.CLOSED, by=advisor, version=6)
    assert ticket.closed_at == at(20, 13)


def test_waiting_for_the_client_pauses_the_resolution_clock(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "inquiry", by=advisor)
    ticket = workflow.assign(ticket, assignee=advisor, by=advisor, version=1)
    due = ticket.resolution_due_at
    clock.move_to(at(20, 15))
    ticket = workflow.transition(ticket, S.WAITING_CLIENT, by=advisor, version=ticket.version)
    assert ticket.sla_paused_at == at(20, 15)
    clock.move_to(at(23, 11))  # Monday 11:00: 2 h Friday + 2 h Monday of business time paused
    ticket = workflow.transition(ticket, S.IN_PROGRESS, by=advisor, version=ticket.version)
    assert ticket.sla_paused_at is None
    from tickets.sla import business_calendar

    assert ticket.resolution_due_at == business_calendar().add(due, 4)


def test_a_client_visible_comment_is_the_first_response_an_internal_one_is_not(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    workflow.add_comment(ticket, by=advisor, body="Checking with operations", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    clock.move_to(at(20, 10, 30))
    workflow.add_comment(ticket, by=advisor, body="We are on it", internal=False)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == at(20, 10, 30)
    assert ticket.version == 1  # comments do not compete with field changes
    assert list(ticket.events.filter(kind="comment").values_list("internal", flat=True)) == [True, False]
    with pytest.raises(ValidationError):
        workflow.add_comment(ticket, by=advisor, body="   ")


def test_priority_comes_from_kind_and_tier_and_an_override_needs_a_reason(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    with pytest.raises(ValidationError) as refused:
        open_ticket(clients["mine"], "inquiry", by=advisor, priority="urgent")
    assert "priority_override_reason" in refused.value.message_dict
    ticket = open_ticket(clients["mine"], "inquiry", by=advisor, priority="urgent", priority_reason="Press enquiry")
    assert (ticket.priority, ticket.priority_override_reason) == ("urgent", "Press enquiry")

    with pytest.raises(ValidationError):
        workflow.update_details(ticket, by=advisor, version=1, priority="low")
    ticket = workflow.update_details(
        ticket, by=advisor, version=1, priority="low", priority_override_reason="Duplicate"
    )
    assert ticket.priority == "low"
    back = workflow.update_details(ticket, by=advisor, version=2, priority="normal")  # the derived one: no reason
    assert (back.priority, back.priority_override_reason) == ("normal", "")
    assert ticket.events.filter(kind=TicketEvent.Kind.PRIORITY).count() == 2


def test_satisfaction_is_recorded_only_once_resolved_and_only_from_1_to_5(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    with pytest.raises(ValidationError):
        workflow.record_satisfaction(ticket, score=5, by=advisor, version=1)
    ticket = workflow.transition(ticket, S.RESOLVED, by=advisor, version=1, note="Fixed")
    for bad in (0, 6):
        with pytest.raises(ValidationError):
            workflow.record_satisfaction(ticket, score=bad, by=advisor, version=2)
    ticket = workflow.record_satisfaction(ticket, score=5, note="Quick", by=advisor, version=2)
    assert (ticket.satisfaction, ticket.satisfaction_note) == (5, "Quick")


def test_every_change_leaves_a_change_log_entry_with_before_and_after(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    workflow.transition(ticket, S.IN_PROGRESS, by=advisor, version=1)
    entry = LogEntry.objects.get_for_object(ticket).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.changes_dict["status"] == ["assigned", "in_progress"]
