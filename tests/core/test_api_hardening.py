"""API findings of issue 23: page sizes, bodies too large, a role-less user on shares, declared
assets below zero, shares for ever, endless ticket descriptions — each answered in the API's one
error shape, with the page and the API agreeing where both take the input."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from clients import services
from clients.models import ClientShare
from tests import factories
from tickets import workflow
from tickets.models import DESCRIPTION_MAX_LENGTH, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def signed_in(http, cast, persona: str):
    http.force_login(get_user_model().objects.get(pk=getattr(cast, persona).user_id))
    return http


def is_error_shape(body: dict, code: str) -> bool:
    return set(body) == {"code", "message", "fields"} and body["code"] == code


# --- Pagination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["-3", "0", "501", "abc", "", "2.5"])
def test_a_page_size_that_is_not_a_whole_number_from_1_to_500_is_refused(world, client, size):
    cast, _clients = world
    answer = signed_in(client, cast, "manager").get("/api/v1/clients/", {"page_size": size})
    assert answer.status_code == 400
    assert is_error_shape(answer.json(), "invalid") and "page_size" in answer.json()["fields"]


def test_a_page_size_within_bounds_pages_the_list(world, client):
    cast, _clients = world
    body = signed_in(client, cast, "manager").get("/api/v1/clients/", {"page_size": "2"}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


# --- Bodies too large ---------------------------------------------------------------------------


def test_a_json_body_over_the_upload_limit_answers_413_in_the_error_shape(world, client, settings):
    cast, clients = world
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    ticket = Ticket.objects.filter(client=clients["mine"]).get()
    body = json.dumps({"body": "x" * 20_000, "internal": True})
    answer = signed_in(client, cast, "advisor").post(
        f"/api/v1/tickets/{ticket.pk}/comments/", body, content_type="application/json"
    )
    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/json"
    assert is_error_shape(answer.json(), "too_large")


# --- Shares -------------------------------------------------------------------------------------


def test_a_user_without_a_role_is_refused_the_share_list(world, client):
    cast, _clients = world
    answer = signed_in(client, cast, "no_role").get("/api/v1/client-shares/")
    assert answer.status_code == 403 and is_error_shape(answer.json(), "permission_denied")


def test_a_user_without_a_role_cannot_share_over_the_api(world, client):
    cast, clients = world
    answer = signed_in(client, cast, "no_role").post(
        "/api/v1/client-shares/",
        {"client": clients["mine"].pk, "shared_with": "colleague", "level": "view", "expires_on": "2030-01-01"},
        content_type="application/json",
    )
    assert answer.status_code == 403


def test_a_share_lasts_at_most_a_year(world):
    cast, clients = world
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.share_client(
            client=clients["mine"],
            with_user=cast.colleague.user,
            level=ClientShare.Level.VIEW,
            until=datetime.date(9999, 12, 31),
            by=cast.advisor.user,
        )
    assert "until" in refused.value.message_dict
    share = services.share_client(
        client=clients["mine"],
        with_user=cast.colleague.user,
        level=ClientShare.Level.VIEW,
        until=today + services.SHARE_LONGEST,
        by=cast.advisor.user,
    )
    assert share.expires_on == today + services.SHARE_LONGEST


def test_the_api_and_the_page_refuse_a_share_until_9999(world, client):
    cast, clients = world
    mine = clients["mine"]
    http = signed_in(client, cast, "advisor")
    answer = http.post(
        "/api/v1/client-shares/",
        {"client": mine.pk, "shared_with": "colleague", "level": "view", "expires_on": "9999-12-31"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "until" in answer.json()["fields"]
    page = http.post(f"/clients/{mine.pk}/shares/", {"with_user": "colleague", "level": "view", "until": "9999-12-31"})
    assert page.status_code == 400 and "until" in page.context["share_form"].errors
    assert not ClientShare.objects.filter(client=mine).exists()


# --- Declared financial assets ------------------------------------------------------------------


def test_negative_declared_financial_assets_are_refused(world, client):
    cast, clients = world
    mine = clients["mine"]
    answer = signed_in(client, cast, "advisor").patch(
        f"/api/v1/clients/{mine.pk}/", {"financial_assets": "-5.00"}, content_type="application/json"
    )
    assert answer.status_code == 400 and "financial_assets" in answer.json()["fields"]
    mine.refresh_from_db()
    assert mine.financial_assets is None
    mine.financial_assets = -1
    with pytest.raises(ValidationError):
        mine.full_clean()


def test_zero_declared_financial_assets_are_accepted(world, client):
    cast, clients = world
    mine = clients["mine"]
    answer = signed_in(client, cast, "advisor").patch(
        f"/api/v1/clients/{mine.pk}/", {"financial_assets": "0.00"}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["financial_assets"] == "0.00"


# --- Ticket descriptions ------------------------------------------------------------------------


def test_a_ticket_description_has_a_length_limit_in_the_api(world, client):
    cast, clients = world
    http = signed_in(client, cast, "advisor")
    too_long = "x" * (DESCRIPTION_MAX_LENGTH + 1)
    kind = factories.TicketKindFactory()
    opened = http.post(
        "/api/v1/tickets/",
        {"client": clients["mine"].pk, "kind": kind.code, "channel": "phone", "subject": "Fees"}
        | {"description": too_long},
        content_type="application/json",
    )
    assert opened.status_code == 400 and "description" in opened.json()["fields"]
    ticket = Ticket.objects.filter(client=clients["mine"]).get()
    changed = http.patch(
        f"/api/v1/tickets/{ticket.pk}/",
        {"version": ticket.version, "description": too_long},
        content_type="application/json",
    )
    assert changed.status_code == 400 and "description" in changed.json()["fields"]


def test_the_workflow_refuses_a_description_over_the_limit_whoever_calls_it(world):
    cast, clients = world
    kind = factories.TicketKindFactory()
    with pytest.raises(ValidationError) as refused:
        workflow.create_ticket(
            client=clients["mine"],
            kind=kind,
            channel=Ticket.Channel.PHONE,
            subject="Fees",
            description="x" * (DESCRIPTION_MAX_LENGTH + 1),
            by=cast.advisor.user,
        )
    assert "description" in refused.value.message_dict
    ticket = workflow.create_ticket(
        client=clients["mine"],
        kind=kind,
        channel=Ticket.Channel.PHONE,
        subject="Fees",
        description="x" * DESCRIPTION_MAX_LENGTH,
        by=cast.advisor.user,
    )
    assert len(ticket.description) == DESCRIPTION_MAX_LENGTH


# --- Shapes the schema promises ------------------------------------------------------------------


def test_a_tickets_comments_events_and_attachments_are_plain_lists(world, client):
    cast, clients = world
    ticket = Ticket.objects.filter(client=clients["mine"]).get()
    http = signed_in(client, cast, "advisor")
    for part in ("comments", "events", "attachments"):
        answer = http.get(f"/api/v1/tickets/{ticket.pk}/{part}/", {"page": "abc", "page_size": "-3"})
        assert answer.status_code == 200 and isinstance(answer.json(), list), part


def test_revealing_a_client_by_a_malformed_id_is_a_404(world, client):
    cast, _clients = world
    answer = signed_in(client, cast, "advisor").post(
        "/api/v1/clients/abc/reveal/", {"fields": ["phone"], "reason": "call"}, content_type="application/json"
    )
    assert answer.status_code == 404 and is_error_shape(answer.json(), "not_found")


@pytest.mark.parametrize("path", ["clients/0.5/", "tickets/1/attachments/abc/download/", "no-such-thing/"])
def test_an_api_path_no_endpoint_matches_is_a_404_in_the_error_shape(world, client, path):
    cast, _clients = world
    http = signed_in(Client(enforce_csrf_checks=True), cast, "advisor")
    for answer in (http.get(f"/api/v1/{path}"), http.post(f"/api/v1/{path}", {}, content_type="application/json")):
        assert answer.status_code == 404 and answer["Content-Type"] == "application/json"
        assert is_error_shape(answer.json(), "not_found")
