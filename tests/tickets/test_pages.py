"""The ticket pages: the three lists, the ticket page with its in-place actions (htmx), the
new-ticket form from the client page — all scoped (out of scope 404, no role 403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import personas
from tests.tickets.conftest import open_ticket, user_of
from tickets import workflow
from tickets.models import Ticket

HTMX = {"HX-Request": "true"}


def numbers(response) -> set[str]:
    return {ticket.number for ticket in response.context["page"]}


def test_my_tickets_the_team_queue_and_the_branch_queue(world, clock, client):
    cast, clients = world
    advisor, lead = user_of(cast, "advisor"), user_of(cast, "team_lead")
    complaint = open_ticket(clients["mine"], "complaint", by=advisor)
    inquiry = open_ticket(clients["colleagues"], "inquiry", by=user_of(cast, "colleague"))
    colleague_complaint = open_ticket(clients["colleagues"], "complaint", by=lead)

    client.force_login(advisor)
    mine = client.get(reverse("tickets:mine"))
    assert mine.status_code == 200
    assert complaint.number in numbers(mine)
    assert inquiry.number not in numbers(mine)

    client.force_login(lead)
    team = numbers(client.get(reverse("tickets:team")))
    assert {complaint.number, colleague_complaint.number} <= team
    assert inquiry.number not in team
    queue = numbers(client.get(reverse("tickets:branch")))
    assert inquiry.number in queue
    assert complaint.number not in queue

    workflow.transition(complaint, "resolved", by=advisor, version=1, note="done")
    client.force_login(advisor)
    assert complaint.number not in numbers(client.get(reverse("tickets:mine")))
    assert complaint.number in numbers(client.get(reverse("tickets:mine"), {"state": "resolved"}))


def test_the_list_costs_the_same_number_of_queries_for_one_ticket_or_many(
    world, clock, client, django_assert_max_num_queries
):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    client.force_login(advisor)
    for _ in range(8):
        open_ticket(clients["mine"], "complaint", by=advisor)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("tickets:mine")).status_code == 200


@pytest.mark.parametrize("persona", sorted(personas.VIEW))
def test_the_ticket_page_is_shown_within_the_scope_only(world, client, persona):
    cast, clients = world
    client.force_login(user_of(cast, persona))
    for name, record in clients.items():
        ticket = Ticket.objects.get(client=record)
        page = client.get(reverse("tickets:detail", args=[ticket.pk]))
        assert page.status_code == (200 if name in personas.VIEW[persona] else 404), name
        action = client.post(
            reverse("tickets:transition", args=[ticket.pk]), {"to": "assigned", "version": 1}, headers=HTMX
        )
        if persona in ("compliance", "no_role", "hq_user"):
            # Read-only or no permission: refused whatever the ticket (403 for lacking the
            # permission, 404 for a ticket outside the change scope).
            assert action.status_code in (403, 404), name
        else:
            assert action.status_code == (200 if name in personas.CHANGE[persona] else 404), name
    listing = client.get(reverse("tickets:mine"))
    assert listing.status_code == (403 if persona == "no_role" else 200)


def test_a_read_only_user_sees_no_actions(world, client):
    cast, clients = world
    client.force_login(user_of(cast, "compliance"))
    ticket = Ticket.objects.get(client=clients["mine"])
    page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert page.status_code == 200
    assert not page.context["can_change"]
    assert reverse("tickets:transition", args=[ticket.pk]) not in page.text


def test_actions_in_place_move_comment_and_show_the_timeline(world, clock, client):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    client.force_login(advisor)
    moved = client.post(
        reverse("tickets:transition", args=[ticket.pk]),
        {"to": "in_progress", "version": 1, "note": "On it"},
        headers=HTMX,
    )
    assert moved.status_code == 200
    assert moved.templates[0].name == "tickets/_panel.html"
    assert 'id="ticket-panel"' in moved.text and "On it" in moved.text and "Status changed." in moved.text
    commented = client.post(reverse("tickets:comment", args=[ticket.pk]), {"body": "Called the client"}, headers=HTMX)
    assert commented.status_code == 200 and "Called the client" in commented.text
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.events.filter(kind="comment").count()) == ("in_progress", 2, 1)


def test_a_refused_move_is_explained_on_the_page(world, clock, client):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    client.force_login(advisor)
    response = client.post(
        reverse("tickets:transition", args=[ticket.pk]), {"to": "resolved", "version": 1}, headers=HTMX
    )
    assert response.status_code == 400
    assert "Say how the ticket was resolved" in response.text


def test_a_change_from_an_old_version_asks_to_reload_and_overwrites_nothing(world, clock, client):
    cast, clients = world
    advisor, lead = user_of(cast, "advisor"), user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    workflow.update_details(ticket, by=lead, version=1, priority="urgent", priority_override_reason="VIP")
    client.force_login(advisor)
    for headers in (HTMX, {}):
        response = client.post(
            reverse("tickets:priority", args=[ticket.pk]),
            {"priority": "low", "priority_override_reason": "Duplicate", "version": 1},
            headers=headers,
        )
        assert response.status_code == 409
        assert "Someone else changed this ticket" in response.text
        # The page now carries the latest version in its forms (never shown to the user).
        assert 'name="version" value="2"' in response.text and "version 2" not in response.text
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"
    # An urgent ticket's badge is red, not the grey of any other label (issue 26, point 9).
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).text
    assert 'class="badge text-bg-danger" data-priority="urgent"' in page


def test_without_htmx_an_action_redirects_back_to_the_ticket(world, clock, client):
    cast, clients = world
    lead = user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "inquiry", by=lead)
    client.force_login(lead)
    page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert cast.advisor.user in page.context["assign_form"].fields["assignee"].queryset
    response = client.post(
        reverse("tickets:assign", args=[ticket.pk]), {"assignee": cast.advisor.user_id, "version": 1}
    )
    assert response.status_code == 302 and response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.advisor.user


def test_satisfaction_is_recorded_on_a_resolved_ticket(world, clock, client):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    ticket = workflow.transition(ticket, "resolved", by=advisor, version=1, note="Refunded")
    client.force_login(advisor)
    response = client.post(
        reverse("tickets:satisfaction", args=[ticket.pk]), {"score": 5, "note": "Thanks", "version": 2}, headers=HTMX
    )
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).satisfaction == 5


def test_the_new_ticket_form_opens_from_the_client_page(world, clock, client):
    cast, clients = world
    client.force_login(user_of(cast, "advisor"))
    url = reverse("tickets:new")
    form = client.get(url, {"client": clients["mine"].pk})
    assert form.status_code == 200
    assert clients["mine"].name in form.text
    assert client.get(url, {"client": clients["elsewhere"].pk}).status_code == 404
    assert client.get(url).status_code == 404

    missing = client.post(url, {"client": clients["mine"].pk, "kind": "", "channel": "phone", "subject": ""})
    assert missing.status_code == 400
    kind = Ticket._meta.get_field("kind").related_model.objects.get(code="complaint")
    created = client.post(
        url, {"client": clients["mine"].pk, "kind": kind.pk, "channel": "counter", "subject": "Queue too long"}
    )
    ticket = Ticket.objects.get(subject="Queue too long")
    assert created.status_code == 302 and created["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.assignee, ticket.channel, ticket.created_by) == (cast.advisor.user, "counter", cast.advisor.user)
    override = client.post(
        url,
        {"client": clients["mine"].pk, "kind": kind.pk, "channel": "phone", "subject": "x", "priority": "low"},
    )
    assert override.status_code == 400 and "Give a reason" in override.text
    outside = client.post(url, {"client": clients["elsewhere"].pk, "kind": kind.pk, "channel": "phone", "subject": "y"})
    assert outside.status_code == 404


def test_the_ticket_page_loads_its_script_from_a_file(world, client):
    cast, clients = world
    client.force_login(user_of(cast, "advisor"))
    page = client.get(reverse("tickets:detail", args=[Ticket.objects.get(client=clients["mine"]).pk]))
    assert "js/crm.js" in page.text  # the shared in-place form behaviour (no page-specific script)
    assert "<script>" not in page.text
