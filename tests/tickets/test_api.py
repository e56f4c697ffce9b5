"""``/api/v1/tickets/``: open, change with a version (409 when stale), move (400 with the reason
when refused), assign, comment, satisfaction — scoped like the pages, for every role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests import personas
from tests.tickets.conftest import open_ticket
from tickets.models import Ticket

URL = "/api/v1/tickets/"


def login(http, cast, persona):
    user = get_user_model().objects.get(pk=getattr(cast, persona).user_id)
    http.force_login(user)
    return user


def test_an_advisor_opens_a_complaint_and_it_is_routed(world, clock, client):
    cast, clients = world
    login(client, cast, "advisor")
    response = client.post(
        URL,
        {"client": clients["mine"].pk, "kind": "complaint", "channel": "phone", "subject": "Wrong fee charged"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["assignee"], body["priority"], body["version"]) == ("assigned", "advisor", "high", 1)
    assert body["number"].startswith("TK20261120")
    assert body["client_no"] == clients["mine"].client_no


def test_a_client_out_of_scope_is_not_found_among_the_choices(world, clock, client):
    cast, clients = world
    login(client, cast, "advisor")
    response = client.post(
        URL,
        {"client": clients["elsewhere"].pk, "kind": "inquiry", "channel": "phone", "subject": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"client"}
    assert not Ticket.objects.filter(client=clients["elsewhere"], subject="x").exists()


def test_a_priority_override_without_a_reason_is_refused(world, clock, client):
    cast, clients = world
    login(client, cast, "advisor")
    body = {"client": clients["mine"].pk, "kind": "inquiry", "channel": "app", "subject": "x", "priority": "urgent"}
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "priority_override_reason" in response.json()["fields"]


def test_patch_needs_the_version_and_a_stale_one_answers_409(world, clock, client):
    cast, clients = world
    advisor = login(client, cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    url = f"{URL}{ticket.pk}/"

    assert client.patch(url, {"subject": "No version"}, content_type="application/json").status_code == 400
    first = client.patch(url, {"subject": "Fee refund", "version": 1}, content_type="application/json")
    assert first.status_code == 200
    assert (first.json()["subject"], first.json()["version"]) == ("Fee refund", 2)
    stale = client.patch(url, {"subject": "Overwrite", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert "Reload" in stale.json()["message"]
    assert Ticket.objects.get(pk=ticket.pk).subject == "Fee refund"
    assert client.put(url, {"subject": "x", "version": 2}, content_type="application/json").status_code == 405


def test_transition_moves_refuses_with_the_reason_and_detects_stale_versions(world, clock, client):
    cast, clients = world
    advisor = login(client, cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    url = f"{URL}{ticket.pk}/transition/"

    moved = client.post(url, {"to": "in_progress", "version": 1, "note": "Calling"}, content_type="application/json")
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["version"]) == ("in_progress", 2)

    refused = client.post(url, {"to": "closed", "version": 2}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_transition"
    assert "cannot move to “Closed”" in refused.json()["message"]

    no_note = client.post(url, {"to": "resolved", "version": 2}, content_type="application/json")
    assert (no_note.status_code, no_note.json()["code"]) == (400, "invalid_transition")

    stale = client.post(url, {"to": "waiting_client", "version": 1}, content_type="application/json")
    assert (stale.status_code, stale.json()["code"]) == (409, "conflict")

    unknown = client.post(url, {"to": "lost", "version": 2}, content_type="application/json")
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["to"])

    events = client.get(f"{URL}{ticket.pk}/events/").json()
    assert [e["kind"] for e in events] == ["created", "assignment", "transition"]


def test_comments_internal_and_client_visible(world, clock, client):
    cast, clients = world
    advisor = login(client, cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    url = f"{URL}{ticket.pk}/comments/"
    assert client.post(url, {"body": "Note to self"}, content_type="application/json").status_code == 201
    posted = client.post(url, {"body": "We refund it", "internal": False}, content_type="application/json")
    assert posted.status_code == 201
    assert posted.json()["actor"] == "advisor"
    assert [(c["body"], c["internal"]) for c in client.get(url).json()] == [
        ("Note to self", True),
        ("We refund it", False),
    ]
    assert client.get(f"{URL}{ticket.pk}/").json()["first_responded_at"] is not None
    assert client.post(url, {"body": ""}, content_type="application/json").status_code == 400


def test_team_lead_assigns_and_satisfaction_is_recorded(world, clock, client):
    cast, clients = world
    lead = login(client, cast, "team_lead")
    ticket = open_ticket(clients["mine"], "inquiry", by=lead)
    assigned = client.post(
        f"{URL}{ticket.pk}/assign/", {"assignee": "advisor", "version": 1}, content_type="application/json"
    )
    assert assigned.status_code == 200
    assert (assigned.json()["assignee"], assigned.json()["status"]) == ("advisor", "assigned")
    outside = client.post(
        f"{URL}{ticket.pk}/assign/", {"assignee": "other_advisor", "version": 2}, content_type="application/json"
    )
    assert outside.status_code == 400 and "assignee" in outside.json()["fields"]

    too_early = client.post(
        f"{URL}{ticket.pk}/satisfaction/", {"score": 4, "version": 2}, content_type="application/json"
    )
    assert too_early.status_code == 400
    client.post(
        f"{URL}{ticket.pk}/transition/",
        {"to": "resolved", "version": 2, "note": "Explained"},
        content_type="application/json",
    )
    recorded = client.post(
        f"{URL}{ticket.pk}/satisfaction/", {"score": 4, "note": "ok", "version": 3}, content_type="application/json"
    )
    assert recorded.status_code == 200
    assert (recorded.json()["satisfaction"], recorded.json()["satisfaction_note"]) == (4, "ok")
    bad = client.post(f"{URL}{ticket.pk}/satisfaction/", {"score": 6, "version": 4}, content_type="application/json")
    assert bad.status_code == 400


def test_an_advisor_cannot_reassign_through_the_api(world, clock, client):
    cast, clients = world
    advisor = login(client, cast, "advisor")
    ticket = open_ticket(clients["mine"], "complaint", by=advisor)
    response = client.post(
        f"{URL}{ticket.pk}/assign/", {"assignee": "team_lead", "version": 1}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


@pytest.mark.parametrize("persona", sorted(personas.VIEW))
def test_every_role_changes_exactly_the_tickets_in_its_change_scope(world, client, persona):
    """PATCH and transition on each world client's ticket: 200 within the change scope; 404
    outside it (the ticket's existence does not leak); 403 for roles without the permission."""
    cast, clients = world
    login(client, cast, persona)
    lacks_change = persona in ("compliance", "no_role")  # compliance reads only; no role, nothing
    lacks_add = persona in ("compliance", "no_role", "ops")  # POST actions need tickets.add_ticket
    problems = []
    for name, record in clients.items():
        ticket = Ticket.objects.get(client=record)
        patch = client.patch(
            f"{URL}{ticket.pk}/", {"subject": "Changed", "version": 1}, content_type="application/json"
        )
        expected = 403 if lacks_change else (200 if name in personas.CHANGE[persona] else 404)
        if patch.status_code != expected:
            problems.append(f"PATCH {name}: {patch.status_code} != {expected}")
        comment = client.post(f"{URL}{ticket.pk}/comments/", {"body": "hi"}, content_type="application/json")
        expected = 403 if lacks_add else (201 if name in personas.CHANGE[persona] else 404)
        if comment.status_code != expected:
            problems.append(f"comment {name}: {comment.status_code} != {expected}")
        read = client.get(f"{URL}{ticket.pk}/events/")
        expected = 403 if persona == "no_role" else (200 if name in personas.VIEW[persona] else 404)
        if read.status_code != expected:
            problems.append(f"events {name}: {read.status_code} != {expected}")
    assert problems == []
