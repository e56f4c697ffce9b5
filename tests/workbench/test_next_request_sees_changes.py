"""What is kept between requests for speed (sessions read through the cache, a user's roles and
permissions in core.authz_cache) never hides a change: a transfer, a share, its revocation or a
role taken away shows on the user's very next request, with every cache warm before it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.services import revoke_share, share_client
from core import roles
from workbench.transfers import transfer_book

pytestmark = pytest.mark.django_db


def _next_week() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=7)


def _signed_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def _api_ids(http) -> set[int]:
    response = http.get("/api/v1/clients/", {"page_size": 100})
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def _page_lists(http, client) -> bool:
    """The client list page shows the client (by number)."""
    body = http.get(reverse("clients:list")).content.decode()
    return client.client_no in body


def _warm(http) -> None:
    for path in ("/", reverse("clients:list"), "/api/v1/clients/", reverse("alerts")):
        assert http.get(path).status_code == 200


def test_a_transferred_client_leaves_the_old_book_and_joins_the_new_on_the_next_request(world):
    cast, clients = world
    mine = clients["mine"]
    advisor, colleague = _signed_in(cast.advisor.user), _signed_in(cast.colleague.user)
    _warm(advisor), _warm(colleague)
    assert mine.pk in _api_ids(advisor) and _page_lists(advisor, mine)
    assert mine.pk not in _api_ids(colleague)

    transfer_book(
        from_advisor=cast.advisor, to_advisor=cast.colleague, reason="rebalance", by=cast.manager.user, clients=[mine]
    )

    assert mine.pk not in _api_ids(advisor) and not _page_lists(advisor, mine)
    assert advisor.get(reverse("clients:detail", args=[mine.pk])).status_code == 404
    assert mine.pk in _api_ids(colleague) and _page_lists(colleague, mine)


def test_a_share_and_its_revocation_show_on_the_next_request(world):
    cast, clients = world
    mine = clients["mine"]
    other = _signed_in(cast.other_advisor.user)
    _warm(other)
    assert mine.pk not in _api_ids(other)

    share = share_client(
        client=mine, with_user=cast.other_advisor.user, level="view", until=_next_week(), by=cast.advisor.user
    )
    assert mine.pk in _api_ids(other)
    assert other.get(reverse("clients:detail", args=[mine.pk])).status_code == 200

    revoke_share(share=share, by=cast.advisor.user)
    assert mine.pk not in _api_ids(other)
    assert other.get(reverse("clients:detail", args=[mine.pk])).status_code == 404


def test_a_role_taken_away_is_refused_on_the_next_request(world):
    cast, clients = world
    advisor = _signed_in(cast.advisor.user)
    _warm(advisor)
    assert _api_ids(advisor)

    cast.advisor.user.groups.remove(Group.objects.get(name=roles.ADVISOR))

    assert advisor.get("/api/v1/clients/").status_code == 403
    assert advisor.get(reverse("clients:detail", args=[clients["mine"].pk])).status_code == 404
