"""Shared rows (``tests.shared_rows``): the persona world is built once for consecutive tests,
and still no test sees what another one wrote, in the database or in the objects it was given.
The two world tests run in this order (a module's tests keep their written order)."""

from __future__ import annotations

import pytest

from clients.models import Client
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_test_without_the_world_sees_none_of_its_rows():
    assert not Client.objects.exists()


def test_a_test_changes_the_world_in_the_database_and_in_memory(world):
    cast, clients = world
    Client.objects.filter(pk=clients["mine"].pk).update(name="changed")
    factories.ClientFactory(branch=cast.tree["b1"], client_no="LEAKED")
    clients["colleagues"].name = "changed in memory"
    cast.advisor.user.first_name = "changed in memory"


def test_the_next_test_finds_the_world_as_built(world):
    cast, clients = world
    assert Client.objects.get(pk=clients["mine"].pk).name != "changed"
    assert not Client.objects.filter(client_no="LEAKED").exists()
    assert Client.objects.count() == len(clients)
    assert clients["colleagues"].name != "changed in memory"
    assert cast.advisor.user.first_name != "changed in memory"
