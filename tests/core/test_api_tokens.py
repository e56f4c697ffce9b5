"""API tokens: issued by the token endpoint, ending when idle and at the end of their lifetime,
listed and revoked by their owner and by security administrators, nobody else (core.tokens,
core.api.tokens)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from core.roles import SECURITY_ADMIN
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
START = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)

User = get_user_model()


def _issue(username: str) -> dict:
    response = Client().post(TOKEN, {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def _api(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def _works(secret: str) -> bool:
    return _api(secret).get(TOKENS).status_code == 200


@pytest.fixture
def security_admin(db):
    user = factories.UserFactory(username="sec.admin", roles=[SECURITY_ADMIN])
    user.is_staff = True
    user.save()
    assert user.has_perm("crm.administer_security")
    return user


# --- Issue and expiry ------------------------------------------------------------------------


def test_a_token_comes_with_its_expiry_and_is_stored_only_as_a_digest(settings):
    assert (settings.API_TOKEN_IDLE_DAYS, settings.API_TOKEN_LIFETIME_DAYS) == (7, 30)
    factories.UserFactory(username="api.user")
    with time_machine.travel(START, tick=False):
        issued = _issue("api.user")
    assert set(issued) == {"token", "expires", "expires_at_latest"}
    assert datetime.datetime.fromisoformat(issued["expires"]) == START + datetime.timedelta(days=7)
    assert datetime.datetime.fromisoformat(issued["expires_at_latest"]) == START + datetime.timedelta(days=30)
    row = AuthToken.objects.get()
    assert issued["token"] not in (row.digest, row.token_key) and issued["token"].startswith(row.token_key)


def test_a_token_unused_for_the_idle_time_is_refused_with_401_in_the_error_shape():
    factories.UserFactory(username="api.user")
    with time_machine.travel(START, tick=False) as traveller:
        secret = _issue("api.user")["token"]
        traveller.shift(datetime.timedelta(days=7, minutes=1))
        response = _api(secret).get("/api/v1/clients/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "token_expired",
        "message": response.json()["message"],
        "fields": {},
    }
    assert response.json()["message"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_in_use_lives_on_but_not_past_its_lifetime():
    factories.UserFactory(username="api.user")
    with time_machine.travel(START, tick=False) as traveller:
        secret = _issue("api.user")["token"]
        for _ in range(5):  # used every six days: day 6, 12, … 30 minus a bit
            traveller.shift(datetime.timedelta(days=6) - datetime.timedelta(minutes=10))
            assert _works(secret)
        traveller.move_to(START + datetime.timedelta(days=30, minutes=1))
        refused = _api(secret).get(TOKENS)
    assert refused.status_code == 401 and refused.json()["code"] == "token_expired"


def test_a_token_issued_400_days_ago_no_longer_works():
    user = factories.UserFactory(username="api.user")
    with time_machine.travel(START - datetime.timedelta(days=400), tick=False):
        _row, secret = AuthToken.objects.create(user=user)
    assert _api(secret).get(TOKENS).status_code == 401


def test_a_wrong_token_is_refused_with_401_and_its_own_code():
    response = _api("0" * 64).get(TOKENS)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed" and response.json()["fields"] == {}


def test_a_new_token_clears_the_users_expired_ones():
    user = factories.UserFactory(username="api.user")
    with time_machine.travel(START - datetime.timedelta(days=60), tick=False):
        AuthToken.objects.create(user=user)
    _issue("api.user")
    assert AuthToken.objects.filter(user=user).count() == 1


# --- Listing and revoking --------------------------------------------------------------------


def test_the_owner_lists_their_live_tokens_without_the_secrets():
    owner = factories.UserFactory(username="api.user")
    other = factories.UserFactory(username="someone.else")
    first, second = _issue("api.user")["token"], _issue("api.user")["token"]
    AuthToken.objects.create(user=other)
    AuthToken.objects.create(user=owner, expiry=datetime.timedelta(seconds=-1))  # expired

    body = _api(first).get(TOKENS).json()
    assert body["count"] == 2
    assert {row["key"] for row in body["results"]} == {first[:15], second[:15]}
    assert {row["user"] for row in body["results"]} == {"api.user"}
    assert [row["current"] for row in body["results"] if row["key"] == first[:15]] == [True]
    assert first not in str(body) and second not in str(body)
    assert not any(row.digest in str(body) for row in AuthToken.objects.all())
    assert set(body["results"][0]) == {"key", "user", "created", "expires", "expires_at_latest", "current"}


def test_the_owner_revokes_a_token_by_post_or_delete_and_it_stops_working():
    owner = factories.UserFactory(username="api.user")
    keep, by_post, by_delete = (_issue("api.user")["token"] for _ in range(3))
    api = _api(keep)
    assert api.post(f"{TOKENS}{by_post[:15]}/revoke/").status_code == 204
    assert api.delete(f"{TOKENS}{by_delete[:15]}/").status_code == 204
    assert not _works(by_post) and not _works(by_delete)
    assert _works(keep)
    # Signed in on the page, the same endpoints work with the session.
    browser = Client()
    browser.force_login(owner)
    assert browser.post(f"{TOKENS}{keep[:15]}/revoke/").status_code == 204
    assert not _works(keep)


@pytest.mark.parametrize("role", [None, "advisor", "branch_manager", "compliance", "ops"])
def test_nobody_else_sees_or_revokes_a_users_tokens(role):
    factories.UserFactory(username="api.user")
    secret = _issue("api.user")["token"]
    other = Client()
    other.force_login(factories.UserFactory(username="someone.else", roles=[role] if role else []))
    listed = other.get(TOKENS, {"user": "api.user"})
    assert listed.status_code == 403
    assert listed.json()["code"] == "permission_denied"
    # Someone else's token is out of scope: not found, as any such record.
    assert other.post(f"{TOKENS}{secret[:15]}/revoke/").status_code == 404
    assert other.delete(f"{TOKENS}{secret[:15]}/").status_code == 404
    assert _works(secret)


def test_a_security_admin_lists_and_revokes_anyones_tokens(security_admin):
    factories.UserFactory(username="api.user")
    first, second = _issue("api.user")["token"], _issue("api.user")["token"]
    desk = Client()
    desk.force_login(security_admin)
    listed = desk.get(TOKENS, {"user": "api.user"}).json()
    assert {row["key"] for row in listed["results"]} == {first[:15], second[:15]}
    assert desk.get(TOKENS).json()["count"] == 0  # their own, by default
    assert desk.get(TOKENS, {"user": "nobody"}).status_code == 404

    assert desk.post(f"{TOKENS}{first[:15]}/revoke/").status_code == 204
    assert desk.delete(f"{TOKENS}{second[:15]}/").status_code == 204
    assert not _works(first) and not _works(second)
    # The change log says who revoked which token of whom (by its public prefix, never the digest).
    owner = User.objects.get(username="api.user")
    entries = LogEntry.objects.get_for_object(owner).filter(changes__has_key="api_token")
    assert {(e.actor_id, e.changes["api_token"][0], e.additional_data["source"]) for e in entries} == {
        (security_admin.pk, f"{first[:15]}…", "api"),
        (security_admin.pk, f"{second[:15]}…", "api"),
    }


def test_signing_in_for_the_token_list_is_required():
    response = Client().get(TOKENS)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# --- Admin -----------------------------------------------------------------------------------


def test_security_admins_see_and_revoke_tokens_in_the_admin_and_operations_do_not(security_admin, ops_user):
    owner = factories.UserFactory(username="api.user")
    row, secret = AuthToken.objects.create(user=owner)
    changelist = reverse("admin:knox_authtoken_changelist")
    delete = reverse("admin:knox_authtoken_delete", args=[row.pk])

    ops = Client()
    ops.force_login(ops_user)
    assert ops.get(changelist).status_code == 403
    assert ops.post(delete, {"post": "yes"}).status_code == 403

    desk = Client()
    desk.force_login(security_admin)
    page = desk.get(changelist)
    assert page.status_code == 200
    assert row.token_key in page.text and secret not in page.text
    assert desk.get(reverse("admin:knox_authtoken_add")).status_code == 403
    assert desk.post(delete, {"post": "yes"}).status_code == 302
    assert not AuthToken.objects.exists()
