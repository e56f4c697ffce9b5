"""No lost updates: two changes made from the same version — exactly one wins, the other is
refused (StaleTicket → 409 in the API, a reload message on the page) and nothing is overwritten."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.tickets.conftest import open_ticket, user_of
from tickets import workflow
from tickets.models import Ticket


def test_a_change_sent_with_an_old_version_is_refused_and_overwrites_nothing(world, clock):
    cast, clients = world
    advisor, lead = user_of(cast, "advisor"), user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    mine, theirs = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)

    workflow.update_details(mine, by=advisor, version=1, subject="Fee refund")
    with pytest.raises(workflow.StaleTicket):
        workflow.update_details(theirs, by=lead, version=1, subject="Something else")
    with pytest.raises(workflow.StaleTicket):
        workflow.transition(theirs, "in_progress", by=lead, version=1)

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.subject, stored.status, stored.version) == ("Fee refund", "assigned", 2)
    assert not stored.events.filter(kind="transition").exists()


def test_a_version_newer_than_the_stored_one_is_refused_too(world, clock):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    with pytest.raises(workflow.StaleTicket):
        workflow.transition(ticket, "in_progress", by=advisor, version=7)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_changes_on_two_connections_one_wins_one_is_refused(reference_data, world):
    cast, clients = world
    advisor, lead = user_of(cast, "advisor"), user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    copies = [Ticket.objects.select_related("kind", "client").get(pk=ticket.pk) for _ in range(2)]
    moves = [("in_progress", advisor), ("resolved", lead)]
    start = threading.Barrier(2)
    outcomes: list[str] = [""] * 2

    def change(index: int) -> None:
        to, by = moves[index]
        try:
            start.wait(timeout=10)
            workflow.transition(copies[index], to, by=by, version=1, note="concurrent")
            outcomes[index] = "won"
        except workflow.StaleTicket:
            outcomes[index] = "stale"
        except Exception as error:  # surfaced in the assertion below
            outcomes[index] = repr(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=change, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["stale", "won"], outcomes
    stored = Ticket.objects.get(pk=ticket.pk)
    winner = moves[outcomes.index("won")][0]
    assert (stored.status, stored.version) == (winner, 2)
    assert stored.events.filter(kind="transition").count() == 1
