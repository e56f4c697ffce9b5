"""Every refusal and failure ends on a styled page in the user's language with a way back, or
on a short fragment for htmx, or on the API's error shape (crm/error_views.py); production
settings never show a debug page (crm/settings.py, gunicorn.conf.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from crm import error_views

ROOT = Path(__file__).resolve().parents[2]
HTMX = {"HX-Request": "true"}
WORDS = {
    "en": {"404": "Not found", "403": "Not allowed", "home": "Back to the dashboard"},
    "zh-hans": {"404": "未找到", "403": "无权访问", "home": "返回工作台"},
}


def signed_in(http, cast, persona: str, language: str):
    http.force_login(getattr(cast, persona).user)
    http.cookies["django_language"] = language
    return http


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_unknown_address_is_the_styled_404_in_the_users_language(world, client, language):
    cast, _clients = world
    signed_in(client, cast, "advisor", language)
    response = client.get("/no/such/page/", HTTP_REFERER="http://testserver/clients/")
    assert response.status_code == 404
    text = response.text
    assert f'<html lang="{language}">' in text
    assert 'class="navbar' in text and reverse("clients:list") in text  # the base layout, signed in
    assert WORDS[language]["404"] in text and WORDS[language]["home"] in text
    assert 'href="http://testserver/clients/"' in text  # back to where the user came from
    assert "Traceback" not in text and "urlpatterns" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_client_outside_ones_scope_is_the_styled_404(world, client, language):
    cast, clients = world
    signed_in(client, cast, "advisor", language)
    response = client.get(reverse("clients:detail", args=[clients["elsewhere"].pk]))
    assert response.status_code == 404
    assert WORDS[language]["404"] in response.text and f'href="{reverse("home")}"' in response.text


@pytest.mark.django_db
def test_a_back_link_never_leads_off_the_site(world, client):
    cast, _clients = world
    signed_in(client, cast, "advisor", "en")
    response = client.get("/no/such/page/", HTTP_REFERER="https://evil.example/phish")
    assert "evil.example" not in response.text


@pytest.mark.django_db
def test_a_refusal_to_an_htmx_request_is_a_short_fragment_not_a_page(world, client):
    cast, clients = world
    signed_in(client, cast, "advisor", "en")
    refused = client.post(reverse("transfer"), {}, headers=HTMX)
    assert refused.status_code == 403
    assert refused.text.startswith('<div class="alert alert-danger" role="alert">')
    assert "<html" not in refused.text and "Only branch managers and team leads" in refused.text
    missing = client.get(reverse("clients:detail", args=[clients["elsewhere"].pk]), headers=HTMX)
    assert missing.status_code == 404
    assert missing.text == (
        '<div class="alert alert-danger" role="alert">'
        "There is nothing at this address, or it is outside what you may see.</div>"
    )


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_the_404_without_the_navigation(client):
    client.cookies["django_language"] = "en"
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Sign out" not in response.text and "navbar" in response.text


def test_an_api_path_gets_the_apis_error_shape():
    request = RequestFactory().get("/api/v1/nothing")
    with translation.override("en"):
        response = error_views.page_not_found(request, None)
    assert response.status_code == 404
    assert json.loads(response.content) == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert json.loads(error_views.permission_denied(request, None).content)["code"] == "permission_denied"


# --- 500 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [("en", "Something went wrong"), ("zh-hans", 'lang="zh-hans"')])
def test_the_500_page_needs_no_request_context_and_no_database(language, words):
    # No user, no session, and no database (this test has none: any query would raise).
    request = RequestFactory().get("/")
    with translation.override(language):
        response = error_views.server_error(request)
    assert response.status_code == 500
    text = response.content.decode()
    assert words in text and 'href="/"' in text and "bootstrap.min.css" in text


def test_an_htmx_request_that_fails_gets_a_fragment():
    request = RequestFactory().post("/alerts/1/done/", headers=HTMX)
    with translation.override("en"):
        response = error_views.server_error(request)
    assert response.status_code == 500 and response.content.decode().startswith('<div class="alert alert-danger"')


@pytest.mark.django_db
@pytest.mark.urls("tests.core.error_urls")
def test_a_view_that_raises_ends_on_the_styled_500(world):
    cast, _clients = world
    http = signed_in(HttpClient(raise_request_exception=False), cast, "advisor", "en")
    response = http.get("/test-only/fails/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "RuntimeError" not in response.text


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "word"), [("en", "The form has expired"), ("zh-hans", 'lang="zh-hans"')])
def test_a_form_posted_without_its_token_gets_the_styled_csrf_page(world, language, word):
    cast, _clients = world
    http = signed_in(HttpClient(enforce_csrf_checks=True), cast, "manager", language)
    response = http.post(reverse("transfer"), {"scope": "client"})
    assert response.status_code == 403
    assert word in response.text and 'class="navbar' in response.text
    assert "CSRF verification failed" not in response.text  # Django's own page, in English


# --- DEBUG never in production --------------------------------------------------------------------


def _django_check(**env) -> subprocess.CompletedProcess:
    names = {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PII_HASH_KEY", "DEBUG", "ALLOWED_HOSTS", "DEMO_MODE", "ALLOW_DEBUG"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_debug_is_refused_when_the_site_is_served_to_the_network():
    refused = _django_check(DEBUG="1", ALLOWED_HOSTS="crm.example.com")
    assert refused.returncode != 0 and "DEBUG is on while ALLOWED_HOSTS names" in refused.stderr
    assert _django_check(DEBUG="1", ALLOWED_HOSTS="crm.example.com", ALLOW_DEBUG="1").returncode == 0
    assert _django_check(DEBUG="1").returncode == 0  # development on this machine


def test_the_demo_runs_without_debug_on_this_machine_only():
    assert _django_check(DEBUG="0", DEMO_MODE="1").returncode == 0, "the demo needs no production keys"
    refused = _django_check(DEBUG="0", DEMO_MODE="1", ALLOWED_HOSTS="*")
    assert refused.returncode != 0 and "DEMO_MODE" in refused.stderr


def _gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("env", "bind", "starts"),
    [
        ({"DEBUG": "0"}, "0.0.0.0:8000", True),
        ({}, "0.0.0.0:8000", False),  # DEBUG's default is development's: production must say 0
        ({"DEBUG": "1"}, "[::]:8000", False),
        ({"DEBUG": "1", "ALLOW_DEBUG": "1"}, "0.0.0.0:8000", True),
        ({"DEBUG": "1"}, "127.0.0.1:8000", True),
        ({"DEBUG": "0", "DEMO_MODE": "1"}, "0.0.0.0:8000", False),
        ({"DEBUG": "0", "DEMO_MODE": "1"}, "localhost:8000", True),
    ],
)
def test_gunicorn_refuses_debug_on_a_public_address(monkeypatch, env, bind, starts):
    for name in ("DEBUG", "DEMO_MODE", "ALLOW_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    server = SimpleNamespace(cfg=SimpleNamespace(bind=[bind]))
    if starts:
        _gunicorn_conf().on_starting(server)
    else:
        with pytest.raises(SystemExit):
            _gunicorn_conf().on_starting(server)


def test_the_production_image_and_compose_file_turn_debug_off():
    assert "ENV DEBUG=0" in (ROOT / "Dockerfile").read_text()
    assert 'DEBUG: "0"' in (ROOT / "docker-compose.yml").read_text()
