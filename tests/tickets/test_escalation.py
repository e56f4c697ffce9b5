"""Escalation with time travel: level 1 to the team lead when a due time passes, level 2 to the
branch manager, HNW complaints straight to the branch manager after 24 hours; every step an
alert and an email; a rerun escalates nothing twice."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from alerts.models import Alert
from core import thresholds
from tests.tickets.conftest import at, open_ticket, user_of
from tickets import escalation, tasks, workflow
from tickets.escalation import TicketFacts, target_level
from tickets.models import Ticket

HOURS = {"level2_after": datetime.timedelta(hours=4), "hnw_complaint_after": datetime.timedelta(hours=24)}


def facts(**overrides) -> TicketFacts:
    values = {
        "status": "assigned",
        "escalation_level": 0,
        "is_complaint": False,
        "tier": "mass",
        "created_at": at(20, 10),
        "response_due_at": at(20, 12),
        "first_responded_at": None,
        "resolution_due_at": at(23, 10),
    }
    return TicketFacts(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "now", "level", "reason"),
    [
        ({}, at(20, 11, 59), 0, ""),
        ({}, at(20, 12), 1, "response_overdue"),
        ({"first_responded_at": at(20, 11)}, at(20, 13), 0, ""),
        ({"first_responded_at": at(20, 11)}, at(23, 10), 1, "resolution_overdue"),
        ({"first_responded_at": at(20, 11)}, at(23, 14), 2, "resolution_overdue_long"),
        ({"escalation_level": 1}, at(20, 13), 1, ""),
        ({"escalation_level": 2}, at(24, 10), 2, ""),
        (
            {"is_complaint": True, "tier": "hnw", "first_responded_at": at(20, 11)},
            at(21, 10),
            2,
            "hnw_complaint_unresolved",
        ),
        ({"is_complaint": True, "tier": "uhnw", "escalation_level": 1}, at(21, 10), 2, "hnw_complaint_unresolved"),
        ({"is_complaint": True, "tier": "affluent", "first_responded_at": at(20, 11)}, at(21, 10), 0, ""),
        ({"is_complaint": False, "tier": "hnw", "first_responded_at": at(20, 11)}, at(21, 10), 0, ""),
        ({"status": "waiting_client"}, at(24, 10), 0, ""),
        ({"status": "resolved"}, at(24, 10), 0, ""),
    ],
)
def test_the_escalation_rule(overrides, now, level, reason):
    assert target_level(facts(**overrides), now, **HOURS) == escalation.Decision(level, reason)


def _alerts(ticket):
    return Alert.objects.filter(kind=Alert.Kind.TICKET_SLA, payload__ticket=ticket.pk)


def test_a_missed_first_response_goes_to_the_team_lead_then_the_branch_manager(
    world, clock, django_capture_on_commit_callbacks
):
    cast, clients = world
    ticket = open_ticket(clients["mine"], "inquiry", by=user_of(cast, "advisor"))
    ticket = workflow.assign(ticket, assignee=cast.advisor.user, by=cast.advisor.user, version=1)
    # inquiry × mass: response due Friday 18:00 → Monday 10:00 (business), resolution Tue 17:00 … +24 h.
    clock.move_to(ticket.response_due_at - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.escalate_overdue().escalated == []

    clock.move_to(ticket.response_due_at)
    with django_capture_on_commit_callbacks(execute=True):
        run = escalation.escalate_overdue()
    assert run.escalated == [(ticket.pk, 1)]
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.version) == (1, 3)
    alert = _alerts(ticket).get()
    assert (alert.advisor, alert.severity, alert.client) == (cast.team_lead, "warning", clients["mine"])
    assert alert.dedupe_key == f"ticket_sla:{clients['mine'].pk}:{ticket.pk}|L1|{cast.team_lead.pk}"
    assert alert.condition == f"{ticket.pk}|L1|{cast.team_lead.pk}"
    assert [m.to for m in mail.outbox] == [[cast.team_lead.user.email]]
    assert ticket.number in mail.outbox[0].subject
    assert cast.team_lead.user in ticket.watchers.all()
    step = ticket.events.get(kind="escalation")
    assert (step.actor, step.data["to_level"], step.data["reason"]) == (None, 1, "response_overdue")

    clock.move_to(ticket.resolution_due_at + datetime.timedelta(hours=4))
    with django_capture_on_commit_callbacks(execute=True):
        run = escalation.escalate_overdue()
    assert run.escalated == [(ticket.pk, 2)]
    top = _alerts(ticket).get(payload__level=2)
    assert (top.advisor, top.severity) == (cast.manager, "critical")
    assert mail.outbox[-1].to == [cast.manager.user.email]
    # The timeline says why, in the reader's language (a note code, rendered when shown).
    step = ticket.events.get(kind="escalation", data__to_level=2)
    assert (step.note, step.body) == ("escalated", "")
    assert step.text == "The resolution has been past due for 4 hours."
    with translation.override("zh-hans"):
        assert "4" in step.text and "resolution" not in step.text
        assert "TK" in top.display_title and "escalated" not in top.display_title

    # Resolved: the escalation alerts have lost their cause and close.
    ticket.refresh_from_db()
    workflow.transition(ticket, "resolved", by=cast.advisor.user, version=ticket.version, note="Refunded the fee")
    assert set(_alerts(ticket).values_list("status", flat=True)) == {"done"}
    assert not _alerts(ticket).exclude(closed_by=None).exists()


def test_a_high_net_worth_complaint_goes_straight_to_the_branch_manager_after_24_hours(
    world, clock, django_capture_on_commit_callbacks
):
    cast, clients = world
    client = clients["mine"]
    client.tier = "hnw"
    client.save(update_fields=["tier"])
    ticket = open_ticket(client, "complaint", by=user_of(cast, "advisor"))
    # First response in time, so only the 24-hour rule can fire (resolution due at +24 h too,
    # on calendar time: policy complaint × hnw is 2 h / 24 h).
    workflow.add_comment(ticket, by=cast.advisor.user, body="We are looking into it", internal=False)
    clock.move_to(at(21, 9, 59))
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.escalate_overdue().escalated == []
    clock.move_to(at(21, 10))
    with django_capture_on_commit_callbacks(execute=True):
        run = escalation.escalate_overdue()
    assert run.escalated == [(ticket.pk, 2)]
    assert list(_alerts(ticket).values_list("advisor", flat=True)) == [cast.manager.pk]
    assert ticket.events.get(kind="escalation").data["reason"] == "hnw_complaint_unresolved"
    assert [m.to for m in mail.outbox] == [[cast.manager.user.email]]


def test_the_beat_task_run_twice_raises_one_alert_and_sends_one_email(world, clock, django_capture_on_commit_callbacks):
    cast, clients = world
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    clock.move_to(ticket.response_due_at + datetime.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.escalate_overdue.apply().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.escalate_overdue.apply().get()
    assert first["escalated"] == [[ticket.pk, 1]]
    assert second["escalated"] == []
    assert _alerts(ticket).count() == 1
    assert len(mail.outbox) == 1
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind="escalation").count() == 1


def test_a_run_that_lost_the_race_takes_no_step(world, clock, django_capture_on_commit_callbacks):
    """Two runs read the same overdue ticket; the one that claims the level second does nothing."""
    cast, clients = world
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    clock.move_to(ticket.response_due_at)
    stale_copy = escalation.candidates(ticket.response_due_at, 24).get(pk=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        escalation.escalate_overdue()
        run = escalation.EscalationRun()
        escalation._escalate(
            stale_copy,
            escalation.Decision(1, "response_overdue"),
            ticket.response_due_at,
            run,
            thresholds.current(),
        )
    assert run.escalated == []
    assert _alerts(ticket).count() == 1
    assert len(mail.outbox) == 1


def test_tickets_waiting_for_the_client_or_resolved_are_not_escalated(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    waiting = open_ticket(clients["mine"], "complaint", by=advisor)
    workflow.transition(waiting, "waiting_client", by=advisor, version=1)
    resolved = open_ticket(clients["mine"], "complaint", by=advisor)
    workflow.transition(resolved, "resolved", by=advisor, version=1, note="done")
    clock.move_to(at(27, 10))
    assert escalation.escalate_overdue().escalated == []


def test_the_escalation_task_is_scheduled_every_few_minutes_and_editable(db):
    task = PeriodicTask.objects.get(name="Escalate overdue tickets")
    assert (task.task, task.enabled, task.interval.every, task.interval.period) == (
        "tickets.escalate_overdue",
        True,
        5,
        "minutes",
    )
