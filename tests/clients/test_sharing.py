"""Sharing a client with a colleague: view or change, until a date, revocable; guardian rows
owned by the share; expiry effective at once."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from time_machine import travel

from clients.models import Client, ClientShare, ClientUserObjectPermission
from clients.services import SHARE_LONGEST, delete_expired_share_permissions, revoke_share, share_client
from core.access import forget_access_profile
from tests import factories, personas
from tests.shared_rows import Shared

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = factories.TODAY


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def at_now():
    return travel(NOW, tick=False)


def build_world():
    """The cast and one client of the advisor's: ``(cast, mine)``."""
    cast = personas.cast(factories.org_tree())
    mine = factories.ClientFactory(branch=cast.tree["b1"])
    personas.serve(mine, cast.advisor)
    return cast, mine


@pytest.fixture(scope="module")
def build_clock():
    return at_now


@pytest.fixture(scope="module")
def world_blueprint():
    """This module's ``world`` (``tests.conftest``), built once under the module's frozen clock."""
    return Shared("world", build_world)


def fresh(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def sees(advisor, client, action="view") -> bool:
    return Client.objects.visible_to(fresh(advisor), action).filter(pk=client.pk).exists()


def guardian_codenames(advisor, client) -> set[str]:
    rows = ClientUserObjectPermission.objects.filter(user_id=advisor.user_id, content_object=client)
    return set(rows.values_list("permission__codename", flat=True))


def test_a_view_share_lets_the_colleague_see_but_not_change(world):
    cast, mine = world

    share_client(client=mine, with_user=cast.colleague.user, level="view", until=TODAY, by=cast.advisor.user)

    assert sees(cast.colleague, mine)
    assert not sees(cast.colleague, mine, "change")
    assert guardian_codenames(cast.colleague, mine) == {"view_client"}


def test_a_change_share_lets_the_colleague_change(world):
    cast, mine = world

    share_client(client=mine, with_user=cast.other_advisor.user, level="change", until=TODAY, by=cast.advisor.user)

    assert sees(cast.other_advisor, mine, "change")
    assert guardian_codenames(cast.other_advisor, mine) == {"view_client", "change_client"}


def test_a_shared_clients_records_follow(world):
    cast, mine = world
    account = factories.AccountFactory(client=mine)
    share_client(client=mine, with_user=cast.colleague.user, level="view", until=TODAY, by=cast.advisor.user)
    assert account.__class__.objects.visible_to(fresh(cast.colleague)).filter(pk=account.pk).exists()


def test_a_share_works_through_its_last_day_and_stops_the_next_without_any_job(world, frozen_today):
    cast, mine = world
    share_client(client=mine, with_user=cast.colleague.user, level="change", until=TODAY, by=cast.advisor.user)

    frozen_today.move_to(datetime.datetime(2026, 11, 20, 23, 59, tzinfo=SHANGHAI), tick=False)
    assert sees(cast.colleague, mine, "change")

    frozen_today.move_to(datetime.datetime(2026, 11, 21, 0, 1, tzinfo=SHANGHAI), tick=False)
    assert not sees(cast.colleague, mine)
    assert not sees(cast.colleague, mine, "change")
    assert guardian_codenames(cast.colleague, mine)  # the stale rows are still there, and ignored


def test_the_nightly_cleanup_deletes_guardian_rows_of_expired_shares_only(world, frozen_today):
    cast, mine = world
    share_client(client=mine, with_user=cast.colleague.user, level="change", until=TODAY, by=cast.advisor.user)
    later = TODAY + datetime.timedelta(days=30)
    share_client(client=mine, with_user=cast.team_lead.user, level="view", until=later, by=cast.advisor.user)
    frozen_today.move_to(datetime.datetime(2026, 11, 22, 2, 0, tzinfo=SHANGHAI), tick=False)

    assert delete_expired_share_permissions() == 2

    assert guardian_codenames(cast.colleague, mine) == set()
    assert guardian_codenames(cast.team_lead, mine) == {"view_client"}


def test_revoking_a_share_removes_access_and_the_guardian_rows(world):
    cast, mine = world
    share = share_client(client=mine, with_user=cast.colleague.user, level="change", until=TODAY, by=cast.advisor.user)

    revoke_share(share=share, by=cast.advisor.user)

    share.refresh_from_db()
    assert share.revoked_by == cast.advisor.user and share.revoked_at is not None
    assert not sees(cast.colleague, mine)
    assert guardian_codenames(cast.colleague, mine) == set()


def test_sharing_again_replaces_the_earlier_share(world):
    cast, mine = world
    until = TODAY + datetime.timedelta(days=7)
    first = share_client(client=mine, with_user=cast.colleague.user, level="change", until=TODAY, by=cast.advisor.user)

    second = share_client(client=mine, with_user=cast.colleague.user, level="view", until=until, by=cast.advisor.user)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert ClientShare.objects.filter(client=mine, shared_with=cast.colleague.user, revoked_at=None).get() == second
    assert guardian_codenames(cast.colleague, mine) == {"view_client"}


def test_a_team_lead_sees_clients_shared_with_the_team(world):
    cast, _ = world
    theirs = factories.ClientFactory(branch=cast.tree["b2"])
    personas.serve(theirs, cast.other_advisor)

    share_client(client=theirs, with_user=cast.colleague.user, level="view", until=TODAY, by=cast.other_advisor.user)

    assert sees(cast.team_lead, theirs)
    assert not sees(cast.manager, theirs)  # a branch manager's scope is the branch's clients


def test_a_manager_shares_a_client_of_their_branch(world):
    cast, mine = world
    share_client(client=mine, with_user=cast.other_advisor.user, level="view", until=TODAY, by=cast.manager.user)
    assert sees(cast.other_advisor, mine)


def _refusal(**kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        share_client(**kwargs)
    return refused.value.message_dict


def test_sharing_with_oneself_is_refused(world):
    cast, mine = world
    errors = _refusal(client=mine, with_user=cast.advisor.user, level="view", until=TODAY, by=cast.advisor.user)
    assert errors == {"with_user": ["You cannot share a client with yourself."]}


def test_sharing_with_an_inactive_user_is_refused(world):
    cast, mine = world
    cast.colleague.user.is_active = False
    cast.colleague.user.save()
    errors = _refusal(client=mine, with_user=cast.colleague.user, level="view", until=TODAY, by=cast.advisor.user)
    assert list(errors) == ["with_user"]
    assert "inactive" in errors["with_user"][0]


def test_sharing_with_a_user_without_a_client_facing_role_is_refused(world):
    cast, mine = world
    errors = _refusal(client=mine, with_user=cast.no_role.user, level="view", until=TODAY, by=cast.advisor.user)
    assert list(errors) == ["with_user"]


def test_sharing_until_a_past_day_is_refused(world):
    cast, mine = world
    yesterday = TODAY - datetime.timedelta(days=1)
    errors = _refusal(client=mine, with_user=cast.colleague.user, level="view", until=yesterday, by=cast.advisor.user)
    assert errors == {"until": ["The share must last until today or a later day."]}


def test_sharing_an_unknown_level_is_refused(world):
    cast, mine = world
    errors = _refusal(client=mine, with_user=cast.colleague.user, level="admin", until=TODAY, by=cast.advisor.user)
    assert list(errors) == ["level"]


def test_sharing_a_client_one_cannot_change_is_refused(world):
    cast, mine = world
    for granter in (cast.colleague, cast.compliance, cast.other_manager):
        errors = _refusal(client=mine, with_user=cast.team_lead.user, level="view", until=TODAY, by=granter.user)
        assert errors == {"client": ["You can share only clients you can change."]}
    assert not ClientShare.objects.exists()


def test_a_share_cannot_be_passed_on(world):
    cast, mine = world
    share_client(client=mine, with_user=cast.colleague.user, level="change", until=TODAY, by=cast.advisor.user)
    errors = _refusal(client=mine, with_user=cast.other_advisor.user, level="view", until=TODAY, by=cast.colleague.user)
    assert list(errors) == ["client"]


def test_a_stranger_cannot_revoke_a_share(world):
    cast, mine = world
    share = share_client(client=mine, with_user=cast.colleague.user, level="view", until=TODAY, by=cast.advisor.user)
    with pytest.raises(PermissionDenied):
        revoke_share(share=share, by=cast.other_advisor.user)
    revoke_share(share=share, by=cast.colleague.user)  # the holder may decline it
    with pytest.raises(ValidationError):
        revoke_share(share=share, by=cast.advisor.user)


def test_the_scope_with_shares_stays_one_query(world, django_assert_num_queries):
    cast, mine = world
    for _ in range(5):
        client = factories.ClientFactory(branch=cast.tree["b1"])
        personas.serve(client, cast.advisor)
        share_client(client=client, with_user=cast.colleague.user, level="view", until=TODAY, by=cast.advisor.user)
    user = fresh(cast.colleague)
    forget_access_profile(user)  # not in the cache between requests either (core.authz_cache)
    with django_assert_num_queries(2):  # the user's profile, then the list
        assert len(list(Client.objects.visible_to(user))) == 5


def test_the_cleanup_is_scheduled_daily_and_names_a_registered_task(db):
    from django_celery_beat.models import PeriodicTask

    from crm.celery import app

    app.loader.import_default_modules()
    task = PeriodicTask.objects.get(name="Clean up expired client shares")
    assert task.enabled and task.crontab.hour == "1"
    assert task.task in app.tasks


def test_a_share_longer_than_a_year_names_the_last_day_the_readers_way(world):
    cast, mine = world
    too_long = TODAY + SHARE_LONGEST + datetime.timedelta(days=1)
    last = TODAY + SHARE_LONGEST
    assert last == datetime.date(2027, 11, 20)
    kwargs = {"client": mine, "with_user": cast.colleague.user, "level": "view", "until": too_long}
    errors = _refusal(**kwargs, by=cast.advisor.user)
    assert errors == {"until": ["A share can last at most a year: choose 20 Nov 2027 or an earlier day."]}
    with translation.override("zh-hans"):
        errors = _refusal(**kwargs, by=cast.advisor.user)
    assert errors == {"until": ["共享期限最长一年：请选择 2027年11月20日 或更早的日期。"]}


def test_a_branch_managers_scope_is_their_branch_until_a_share_reaches_them(world):
    """Without a grant a branch manager's client rows are a plain condition on the branch (no
    shares' subquery: ``core.access.client_rows``); a client shared with them from another branch
    is seen on their next request, and within this one once the share is made."""
    cast, mine = world
    theirs = factories.ClientFactory(branch=cast.tree["b2"])
    personas.serve(theirs, cast.other_advisor)
    manager = fresh(cast.manager)
    rows = Client.objects.visible_to(manager)
    sql = str(rows.query).lower()
    assert "clientuserobjectpermission" not in sql and "union" not in sql
    assert set(rows.values_list("pk", flat=True)) == set(
        Client.objects.filter(branch__path__startswith=cast.tree["b1"].path).values_list("pk", flat=True)
    )
    assert mine in rows and theirs not in rows

    share_client(client=theirs, with_user=manager, level="view", until=TODAY, by=cast.other_advisor.user)
    assert Client.objects.visible_to(manager).filter(pk=theirs.pk).exists()  # the same request
    assert sees(cast.manager, theirs) and sees(cast.manager, mine)  # the next request
    assert not sees(cast.manager, theirs, "change")
    # Every client-scoped list follows: an account of the shared client.
    account = factories.AccountFactory(client=theirs)
    assert type(account).objects.visible_to(fresh(cast.manager)).filter(pk=account.pk).exists()
