"""A team lead hands a ticket of the team's clients to an advisor of the team, from the ticket
page (htmx) — and is refused, on the field, outside the team (issue 26, point 7)."""

from __future__ import annotations

from django.urls import reverse

from tests.personas import serve
from tests.tickets.conftest import open_ticket, user_of
from tickets.models import Ticket

HTMX = {"HX-Request": "true"}


def assign(http, ticket, assignee, **headers):
    return http.post(
        reverse("tickets:assign", args=[ticket.pk]),
        {"assignee": assignee.pk, "version": ticket.version, "note": "Holiday cover"},
        headers=headers,
    )


def test_a_team_lead_reassigns_a_ticket_to_an_advisor_of_the_team_from_the_page(world, clock, client):
    cast, clients = world
    lead = user_of(cast, "team_lead")
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    serve(clients["mine"], cast.colleague, role="shared")  # the colleague now serves the client too
    client.force_login(lead)

    page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    offered = set(page.context["assign_form"].fields["assignee"].queryset)
    assert cast.colleague.user in offered
    assert cast.other_advisor.user not in offered

    response = assign(client, ticket, cast.colleague.user, **HTMX)
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.colleague.user


def test_an_advisor_of_another_team_is_refused_on_the_field(world, clock, client):
    cast, clients = world
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    client.cookies["django_language"] = "en"
    client.force_login(user_of(cast, "team_lead"))

    response = assign(client, ticket, cast.other_advisor.user, **HTMX)

    assert response.status_code == 400
    assert "only to someone of your team or branch" in response.text
    assert "<html" not in response.text  # the panel, not a page, swapped in place
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.advisor.user


def test_a_ticket_of_a_client_outside_the_team_is_not_found(world, clock, client):
    cast, clients = world
    theirs = open_ticket(clients["elsewhere"], "complaint", by=user_of(cast, "other_advisor"))
    client.force_login(user_of(cast, "team_lead"))

    assert client.get(reverse("tickets:detail", args=[theirs.pk])).status_code == 404
    response = assign(client, theirs, cast.advisor.user, **HTMX)
    assert response.status_code == 404
    assert response.text.startswith('<div class="alert alert-danger" role="alert">')
    assert Ticket.objects.get(pk=theirs.pk).assignee == cast.other_advisor.user


def test_an_advisor_cannot_hand_a_colleagues_ticket_on(world, clock, client):
    cast, clients = world
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    serve(clients["mine"], cast.colleague, role="shared")
    client.force_login(user_of(cast, "advisor"))
    page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert "assign_form" not in page.context  # nothing to offer: it is theirs already
    response = assign(client, ticket, cast.colleague.user, **HTMX)
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).assignee == cast.advisor.user
