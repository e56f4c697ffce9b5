"""Users' roles, org unit and model permissions kept in the cache between requests
(core.authz_cache): read once, and read afresh on the next request after anything that changes
them — a group, a permission, an advisor profile, the org tree, an import."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisors.models import Advisor, OrgUnit
from clients.models import Client
from core import authz_cache, roles
from core.access import access_profile
from core.models import ImportBatch

pytestmark = pytest.mark.django_db


def _request_user(pk: int):
    """The user object a new request loads (nothing cached on it)."""
    return get_user_model().objects.get(pk=pk)


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_a_second_request_reads_neither_profile_nor_permissions(world):
    cast, _ = world
    first = _request_user(cast.advisor.user_id)
    assert _queries(lambda: (access_profile(first), first.has_perm("clients.view_client"))) >= 2

    again = _request_user(cast.advisor.user_id)
    assert _queries(lambda: (access_profile(again), again.has_perm("clients.view_client"))) == 0
    assert access_profile(again) == access_profile(first)
    assert again.has_perm("clients.view_client")


def test_joining_a_group_gives_its_permissions_and_scope_on_the_next_request(world):
    cast, clients = world
    user = _request_user(cast.no_role.user_id)
    assert not user.has_perm("clients.view_client")
    assert not Client.objects.visible_to(user).exists()

    _request_user(cast.no_role.user_id).groups.add(Group.objects.get(name=roles.COMPLIANCE))

    after = _request_user(cast.no_role.user_id)
    assert after.has_perm("clients.view_client")
    assert Client.objects.visible_to(after).count() == len(clients)


def test_a_permission_taken_from_a_group_is_refused_on_the_next_request(world):
    cast, _ = world
    assert _request_user(cast.advisor.user_id).has_perm("clients.change_client")

    Group.objects.get(name=roles.ADVISOR).permissions.remove(Permission.objects.get(codename="change_client"))

    assert not _request_user(cast.advisor.user_id).has_perm("clients.change_client")


def test_a_deactivated_advisor_profile_loses_the_book_on_the_next_request(world):
    cast, clients = world
    assert Client.objects.visible_to(_request_user(cast.advisor.user_id)).filter(pk=clients["mine"].pk).exists()

    advisor = Advisor.objects.get(pk=cast.advisor.pk)
    advisor.is_active = False
    advisor.save()

    assert not Client.objects.visible_to(_request_user(cast.advisor.user_id)).exists()


def test_moving_a_manager_to_another_branch_moves_the_scope(world):
    cast, clients = world
    before = set(Client.objects.visible_to(_request_user(cast.manager.user_id)).values_list("pk", flat=True))
    assert clients["mine"].pk in before and clients["elsewhere"].pk not in before

    manager = Advisor.objects.get(pk=cast.manager.pk)
    manager.org_unit = OrgUnit.objects.get(pk=cast.tree["b2"].pk)
    manager.save()

    after = set(Client.objects.visible_to(_request_user(cast.manager.user_id)).values_list("pk", flat=True))
    assert clients["elsewhere"].pk in after and clients["mine"].pk not in after


def test_an_import_batch_retires_every_cached_fact(world):
    """A master-data import writes advisors and units in bulk, without model signals."""
    cast, _ = world
    access_profile(_request_user(cast.advisor.user_id))
    before = authz_cache.generation()

    # what a bulk write does: no signal of the advisor's own
    Advisor.objects.filter(pk=cast.advisor.pk).update(is_active=False)
    assert access_profile(_request_user(cast.advisor.user_id)).advisor_id == cast.advisor.pk  # still cached
    ImportBatch.objects.create(source=ImportBatch.Source.IMPORT, path="/tmp/extract")

    assert authz_cache.generation() > before
    assert access_profile(_request_user(cast.advisor.user_id)).advisor_id is None


def test_a_sign_in_does_not_retire_anything(world, client):
    cast, _ = world
    before = authz_cache.generation()
    user = _request_user(cast.advisor.user_id)
    user.save(update_fields=["last_login"])
    assert authz_cache.generation() == before


def test_facts_read_inside_the_changing_transaction_are_not_cached(world):
    """A change rolled back sends no signal: what the changing transaction read of its own
    uncommitted change must not reach the cache, or it would outlive the rollback."""
    from django.db import transaction

    cast, _ = world
    with pytest.raises(RuntimeError), transaction.atomic():
        _request_user(cast.advisor.user_id).groups.clear()
        assert not access_profile(_request_user(cast.advisor.user_id)).roles
        raise RuntimeError("rolled back")
    assert roles.ADVISOR in access_profile(_request_user(cast.advisor.user_id)).roles
