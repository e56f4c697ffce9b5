"""Sign-in throttling across usernames and across addresses (core.signin_throttle), on the
sign-in page, the admin login and the API token endpoint; django-axes' username+address lock is
tested in tests/core/test_signin.py. Counters live in the real cache (Redis when REDIS_URL is set)."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
# A quarter hour on the clock, so the 15-minute window's buckets start here.
START = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def _try(client: Client, url: str, username: str, password: str = "wrong-password"):
    return client.post(url, {"username": username, "password": password})


def _spray(client: Client, url: str, usernames: list[str], guesses: int) -> list[int]:
    return [_try(client, url, name).status_code for _ in range(guesses) for name in usernames]


def _refused_page(response, reason_text: str) -> bool:
    return (
        response.status_code == 429
        and "registration/locked_out.html" in [t.name for t in response.templates]
        and reason_text in response.content.decode()
    )


@pytest.fixture
def staff():
    users = [factories.UserFactory(username=f"staff.{n:02d}") for n in range(12)]
    return [user.username for user in users]


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN, TOKEN])
def test_spraying_from_one_address_is_refused_before_it_ends_and_the_right_password_too(settings, url, staff):
    assert settings.SIGNIN_ADDRESS_FAILURE_LIMIT == 30
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    sprayer.cookies["django_language"] = "en"
    statuses = _spray(sprayer, url, staff, guesses=4)  # 4 guesses at 12 users: 48 attempts

    failed = 400 if url == TOKEN else 200
    assert statuses[:30] == [failed] * 30  # axes never fired: at most 4 per username
    assert set(statuses[30:]) == {429}

    # A user with no failures at all, the right password, the same address: refused.
    factories.UserFactory(username="bystander")
    refused = _try(sprayer, url, "bystander", PASSWORD)
    if url == TOKEN:
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled" and refused.json()["fields"] == {}
    else:
        assert _refused_page(refused, "from your network")
    # The same users from another address are not affected.
    assert _try(Client(REMOTE_ADDR="198.51.100.1"), LOGIN, staff[0], PASSWORD).status_code == 302


def test_the_address_throttle_slides_off_with_the_window(staff):
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    factories.UserFactory(username="bystander")
    with time_machine.travel(START, tick=False) as traveller:
        _spray(sprayer, LOGIN, staff, guesses=3)  # 36 failures, the last 6 refused
        traveller.shift(datetime.timedelta(minutes=14))
        assert _try(sprayer, LOGIN, "bystander", PASSWORD).status_code == 429
        # Refused attempts are not counted, so trying while refused does not prolong it.
        traveller.shift(datetime.timedelta(minutes=2))  # 30 failures, now 1/15 out of the window
        assert _try(sprayer, LOGIN, "bystander", PASSWORD).status_code == 302


def test_one_account_attacked_from_many_addresses_is_refused(settings):
    assert settings.SIGNIN_ACCOUNT_FAILURE_LIMIT == 10
    factories.UserFactory(username="li.na")
    factories.UserFactory(username="wang.wei")
    statuses = [_try(Client(REMOTE_ADDR=f"203.0.113.{n}"), LOGIN, "li.na").status_code for n in range(12)]
    assert statuses == [200] * 10 + [429, 429]

    owner = Client(REMOTE_ADDR="198.51.100.1")  # the real owner, elsewhere, right password
    owner.cookies["django_language"] = "en"
    assert _refused_page(_try(owner, LOGIN, "li.na", PASSWORD), "for this account")
    token = _try(Client(REMOTE_ADDR="198.51.100.2"), TOKEN, "li.na", PASSWORD)
    assert token.status_code == 429 and token.json()["code"] == "throttled"
    # Another account from one of those addresses is not affected.
    assert _try(Client(REMOTE_ADDR="203.0.113.3"), LOGIN, "wang.wei", PASSWORD).status_code == 302


def test_forty_users_behind_the_trusted_proxy_each_making_a_typo_are_not_locked(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(40):
        factories.UserFactory(username=f"branch.{n:02d}")
    for n in range(40):
        desk = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.168.7.{n + 10}")
        assert _try(desk, LOGIN, f"branch.{n:02d}").status_code == 200
    for n in range(40):
        desk = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.168.7.{n + 10}")
        assert _try(desk, LOGIN, f"branch.{n:02d}", PASSWORD).status_code == 302, n


def test_forty_users_behind_one_nat_address_making_typos_are_not_locked():
    """No proxy to tell them apart: a typo followed by the right password is forgiven."""
    for n in range(40):
        factories.UserFactory(username=f"branch.{n:02d}")
    for n in range(40):
        desk = Client(REMOTE_ADDR="10.0.0.1")
        assert _try(desk, LOGIN, f"branch.{n:02d}").status_code == 200
        assert _try(desk, LOGIN, f"branch.{n:02d}").status_code == 200
        assert _try(desk, TOKEN if n % 2 else LOGIN, f"branch.{n:02d}", PASSWORD).status_code in (200, 302), n


def test_a_sprayer_cannot_wipe_the_address_count_by_signing_in_to_their_own_account(staff):
    factories.UserFactory(username="mallory")
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    assert set(_spray(sprayer, LOGIN, staff, guesses=2)) == {200}  # 24 failures
    _try(sprayer, LOGIN, "mallory")  # 25, a typo of their own
    assert _try(sprayer, LOGIN, "mallory", PASSWORD).status_code == 302  # forgives that one only
    sprayer.post("/accounts/logout/")
    assert set(_spray(sprayer, LOGIN, staff[:6], guesses=1)) == {200}  # 30
    assert _try(sprayer, LOGIN, "mallory", PASSWORD).status_code == 429


def test_operations_lift_a_throttle_with_unlock_signin(staff):
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    _spray(sprayer, LOGIN, staff, guesses=3)
    factories.UserFactory(username="bystander")
    assert _try(sprayer, LOGIN, "bystander", PASSWORD).status_code == 429
    call_command("unlock_signin", address="203.0.113.7", stdout=io.StringIO())
    assert _try(sprayer, LOGIN, "bystander", PASSWORD).status_code == 302
