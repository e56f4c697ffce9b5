"""An alert carries its client's branch, kept by the database (``alerts`` migration 0007): set on
every insert whatever writes it, never what the application writes, and moved with the client.
A branch manager's alerts are read by it and are exactly the alerts of the clients they see,
also on the next request after a client moves branch (issue 28, point 4)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from clients.models import Client
from clients.services import share_client
from tests import factories, personas

pytestmark = pytest.mark.django_db
TODAY = factories.TODAY


def _branch_of(alert) -> int | None:
    return Alert.objects.filter(pk=alert.pk).values_list("branch_id", flat=True).get()


def _user(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def _alerts_seen(advisor) -> set[int]:
    return set(Alert.objects.visible_to(_user(advisor)).values_list("pk", flat=True))


def _alerts_of_clients_seen(advisor) -> set[int]:
    """The rule, as it reads without the copy: the alerts of the clients the user sees."""
    clients = Client.objects.visible_to(_user(advisor)).values("pk")
    return set(Alert.objects.filter(client__in=clients).values_list("pk", flat=True))


def test_an_alert_carries_its_clients_branch_whatever_writes_it(world):
    cast, clients = world
    b1, b2 = cast.tree["b1"], cast.tree["b2"]
    client = factories.ClientFactory(branch=b1)
    made = factories.AlertFactory(client=client, advisor=cast.advisor)  # the ORM's insert
    [bulk] = Alert.objects.bulk_create(
        [Alert(client=client, advisor=cast.advisor, kind="birthday", title="t", due_on=TODAY, dedupe_key="bulk:1")]
    )
    assert _branch_of(made) == _branch_of(bulk) == b1.pk
    # What the application writes into the copy is replaced by the client's branch.
    Alert.objects.filter(pk=made.pk).update(branch_id=b2.pk)
    assert _branch_of(made) == b1.pk
    # Its client changes: the copy follows.
    elsewhere = factories.ClientFactory(branch=b2)
    Alert.objects.filter(pk=bulk.pk).update(client=elsewhere)
    assert _branch_of(bulk) == b2.pk
    # The client moves branch, saved or updated in bulk: its alerts move with it.
    client.branch = b2
    client.save()
    assert _branch_of(made) == b2.pk
    Client.objects.filter(pk=client.pk).update(branch=b1)
    assert _branch_of(made) == b1.pk
    # Every alert of the world, whoever raised it, carries its client's branch.
    mismatched = [
        pk for pk, branch, client_branch in Alert.objects.values_list("pk", "branch_id", "client__branch_id")
        if branch != client_branch
    ]  # fmt: skip
    assert mismatched == []


def test_a_branch_managers_alerts_are_their_clients_alerts_and_follow_a_move_on_the_next_request(world, client):
    cast, clients = world
    b1, b2 = cast.tree["b1"], cast.tree["b2"]
    manager_b2 = personas.staff("bm.two", b2, ["branch_manager"])
    mine = factories.ClientFactory(branch=b1)
    personas.serve(mine, cast.advisor)
    alert = factories.AlertFactory(client=mine, advisor=cast.advisor, title="Call about the move")
    factories.AlertFactory(client=factories.ClientFactory(branch=b2), advisor=cast.other_advisor)

    manager = _user(cast.manager)
    sql = str(Alert.objects.visible_to(manager).query)
    assert '"branch_id" IN' in sql and "clients_client" not in sql  # the copy, not the client ids
    for advisor in (cast.manager, manager_b2):
        assert _alerts_seen(advisor) == _alerts_of_clients_seen(advisor)
    assert alert.pk in _alerts_seen(cast.manager) and alert.pk not in _alerts_seen(manager_b2)

    client.force_login(manager)
    assert "Call about the move" in client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en").text
    mine.branch = b2  # master data: the client is now served by the other branch
    mine.save()
    assert "Call about the move" not in client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en").text
    assert alert.pk in _alerts_seen(manager_b2) and alert.pk not in _alerts_seen(cast.manager)
    for advisor in (cast.manager, manager_b2):
        assert _alerts_seen(advisor) == _alerts_of_clients_seen(advisor)

    # A share reaches a branch manager's alerts too: with a grant the scope is the client ids.
    share_client(client=mine, with_user=manager, level="view", until=timezone.localdate(), by=cast.advisor.user)
    assert alert.pk in _alerts_seen(cast.manager)
    assert _alerts_seen(cast.manager) == _alerts_of_clients_seen(cast.manager)
