"""The pages that exist at the foundation: sign-in, home, API docs, language switch."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_home_sends_a_stranger_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_then_home(client):
    factories.UserFactory(username="li.na", roles=["advisor"])
    response = client.post("/accounts/login/", {"username": "li.na", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_and_the_username_kept(client):
    factories.UserFactory(username="li.na")
    response = client.post("/accounts/login/", {"username": "li.na", "password": "wrong"})
    assert response.status_code == 200
    assert 'value="li.na"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_api_schema_needs_sign_in_and_lists_the_token_endpoint(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(factories.UserFactory())
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/auth/token/" in response.content.decode()


def test_a_token_is_issued_for_good_credentials_only(client):
    factories.UserFactory(username="api.user")
    good = client.post("/api/v1/auth/token/", {"username": "api.user", "password": "correct-horse-battery"})
    assert good.status_code == 200 and len(good.json()["token"]) == 64
    bad = client.post("/api/v1/auth/token/", {"username": "api.user", "password": "nope"})
    assert bad.status_code == 400


@pytest.mark.parametrize("language,word", [("en", "Sign in"), ("zh-hans", "登录")])
def test_the_sign_in_page_speaks_the_chosen_language(client, language, word):
    client.cookies["django_language"] = language
    assert word in client.get("/accounts/login/").content.decode()
