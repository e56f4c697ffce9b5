"""The permission matrix: every role × every client resource — page list, page detail, search,
CSV export, API list, API detail — asserting both what is allowed and what is refused.

A record outside a user's scope answers 404 (its existence does not leak); a user whose role
lacks the kind of record altogether (no role at all) is refused 403 whatever the id. The admin
side of the matrix is in ``test_access`` (changelists) and ``test_admin``.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.models import Alert
from campaigns.models import CampaignTarget
from clients.models import Account, CashFlow, Position, Transaction
from tests import factories, personas
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

PERSONAS = sorted(personas.VIEW)

# API resource → the model whose row of each world client is probed (None: the client itself).
CLIENT_RESOURCES = {
    "clients": None,
    "accounts": Account,
    "positions": Position,
    "transactions": Transaction,
    "cash-flows": CashFlow,
    "alerts": Alert,
    "tickets": Ticket,
    "campaign-targets": CampaignTarget,
}
REFERENCE_RESOURCES = ("products", "org-units", "advisors", "campaigns")


def _login(http, cast, persona):
    user = get_user_model().objects.get(pk=getattr(cast, persona).user_id)
    http.force_login(user)
    return user


def _record_ids(clients, model) -> dict[str, int]:
    if model is None:
        return {name: client.pk for name, client in clients.items()}
    return {
        name: model.objects.filter(client=client).values_list("pk", flat=True).get() for name, client in clients.items()
    }


def _names_in(clients, client_ids) -> set[str]:
    by_id = {client.pk: name for name, client in clients.items()}
    return {by_id[i] for i in client_ids}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_lists_and_details_follow_the_scope(world, client, persona):
    cast, clients = world
    _login(client, cast, persona)
    expected = personas.VIEW[persona]
    problems = []
    for resource, model in CLIENT_RESOURCES.items():
        listing = client.get(f"/api/v1/{resource}/", {"page_size": 500})
        if persona == "no_role":
            # No role, no model permission: refused outright, list and detail alike.
            if listing.status_code != 403 or listing.json()["code"] != "permission_denied":
                problems.append(f"{resource} list: {listing.status_code}")
        else:
            body = listing.json()
            ids = [row["id" if model is None else "client"] for row in body["results"]]
            if listing.status_code != 200 or _names_in(clients, ids) != expected or body["count"] != len(ids):
                problems.append(f"{resource} list: {listing.status_code} {_names_in(clients, ids)}")
        for name, pk in _record_ids(clients, model).items():
            detail = client.get(f"/api/v1/{resource}/{pk}/")
            want = 403 if persona == "no_role" else (200 if name in expected else 404)
            if detail.status_code != want:
                problems.append(f"{resource} {name}: {detail.status_code}, expected {want}")
            elif want == 404 and (detail.json()["code"], detail.json()["fields"]) != ("not_found", {}):
                problems.append(f"{resource} {name}: 404 body {detail.json()}")
    assert not problems, problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_reference_data_is_readable_by_every_role_that_holds_it(world, client, persona):
    cast, _clients = world
    _login(client, cast, persona)
    for resource in REFERENCE_RESOURCES:
        response = client.get(f"/api/v1/{resource}/")
        assert response.status_code == (403 if persona == "no_role" else 200), resource


def test_the_api_refuses_anonymous_callers_with_the_structured_error(world, client):
    _cast, clients = world
    for path in ("/api/v1/clients/", f"/api/v1/clients/{clients['mine'].pk}/", "/api/v1/products/"):
        response = client.get(path)
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_list_search_export_and_detail_follow_the_scope(world, client, persona):
    cast, clients = world
    _login(client, cast, persona)
    expected = personas.VIEW[persona]

    listing = client.get(reverse("clients:list"))
    assert listing.status_code == 200
    shown = {name for name, c in clients.items() if reverse("clients:detail", args=[c.pk]) in listing.text}
    assert shown == expected

    export = client.get(reverse("clients:list"), {"export": "csv"})
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {clients[name].client_no for name in expected}

    for name, record in clients.items():
        found = client.get(reverse("clients:list"), {"q": record.client_no})
        assert (reverse("clients:detail", args=[record.pk]) in found.text) == (name in expected), name
        detail = client.get(reverse("clients:detail", args=[record.pk]))
        assert detail.status_code == (200 if name in expected else 404), name


def test_anonymous_users_are_sent_to_sign_in_from_every_page(world, client):
    _cast, clients = world
    for url in (reverse("clients:list"), reverse("clients:detail", args=[clients["mine"].pk]), reverse("transfer")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_branch_managers_and_team_leads_reach_the_transfer_page(world, client, persona):
    cast, _clients = world
    _login(client, cast, persona)
    response = client.get(reverse("transfer"))
    assert response.status_code == (200 if persona in ("manager", "other_manager", "team_lead") else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_holders_of_view_pii_may_reveal(world, client, persona):
    cast, clients = world
    _login(client, cast, persona)
    target = clients["mine"] if persona != "other_manager" else clients["elsewhere"]
    visible = "mine" in personas.VIEW[persona] or persona == "other_manager"
    response = client.post(
        f"/api/v1/clients/{target.pk}/reveal/", {"fields": ["phone"], "reason": "Client called back"}
    )
    may_reveal = persona in ("manager", "other_manager", "compliance")
    want = 404 if not visible else (200 if may_reveal else 403)
    assert response.status_code == want
    if want == 200:
        assert response.json() == {"phone": target.phone}


def _list_queries(http, cast, persona) -> tuple[int, int]:
    _login(http, cast, persona)
    # counted once the user's roles and permissions are in the cache (core.authz_cache), as on
    # every request after a user's first
    http.get(reverse("clients:list"))
    with CaptureQueriesContext(connection) as api:
        assert http.get("/api/v1/clients/", {"page_size": 100}).status_code == 200
    with CaptureQueriesContext(connection) as page:
        assert http.get(reverse("clients:list")).status_code == 200
    return len(api), len(page)


def test_the_scoped_api_and_page_lists_cost_the_same_queries_for_few_or_many_clients(world, client):
    cast, _clients = world
    roles = ("advisor", "team_lead", "manager", "compliance")
    few = {persona: _list_queries(client, cast, persona) for persona in roles}
    for _ in range(45):
        personas.serve(factories.ClientFactory(branch=cast.tree["b1"]), cast.advisor)
    many = {persona: _list_queries(client, cast, persona) for persona in roles}
    assert few == many
