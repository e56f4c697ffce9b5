"""Responses that carry client data are never kept by a browser or a shared cache
(core/no_store.py): pages, lists, exports, API responses, the reveal of personal data."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from tests import factories


@pytest.fixture
def manager(world):
    cast, clients = world
    browser = HttpClient()
    browser.force_login(cast.manager.user)
    return browser, clients["mine"]


def _assert_no_store(response):
    assert response.status_code == 200, response.status_code
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/clients/",
        "/clients/{pk}/",
        "/clients/?export=csv",
        "/alerts/",
        "/reports/",
        "/api/v1/clients/",
        "/api/v1/clients/{pk}/",
        "/api/v1/positions/",
    ],
)
def test_pages_lists_exports_and_api_responses_say_no_store(manager, url):
    browser, client = manager

    _assert_no_store(browser.get(url.format(pk=client.pk)))


def test_the_revealed_personal_data_is_not_stored(manager):
    browser, client = manager

    response = browser.post(
        f"/api/v1/clients/{client.pk}/reveal/", {"fields": ["phone"], "reason": "client called"}, "application/json"
    )

    _assert_no_store(response)
    assert response.json()["phone"] == client.phone


def test_the_sign_in_page_and_an_error_say_no_store_too(db):
    browser = HttpClient()
    _assert_no_store(browser.get("/accounts/login/"))
    user = factories.UserFactory(username="norole")
    browser.force_login(user)
    refused = browser.get("/api/v1/clients/")
    assert refused.status_code == 403
    assert "no-store" in refused["Cache-Control"]
