"""Sign-in and sessions: login throttling (django-axes), idle and absolute session timeouts,
password changes and deactivation ending other sessions and API tokens, the security headers
and the Content Security Policy, and production's deploy check."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
START = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def _fail(client, username: str, times: int, url: str = LOGIN):
    response = None
    for _ in range(times):
        response = client.post(url, {"username": username, "password": "wrong-password"})
    return response


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


# --- Login throttling ------------------------------------------------------------------------


def test_the_fifth_failure_locks_the_username_on_that_address_even_for_the_right_password(client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    factories.UserFactory(username="li.na")
    assert _fail(client, "li.na", 4).status_code == 200  # the sign-in page again, with the error

    locked = _fail(client, "li.na", 1)
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "30" in locked.content.decode()  # the cool-off, in minutes

    right = client.post(LOGIN, {"username": "li.na", "password": PASSWORD})
    assert right.status_code == 429
    assert not _signed_in(client)


def test_a_lockout_touches_neither_another_user_nor_the_same_user_elsewhere(client):
    factories.UserFactory(username="li.na")
    factories.UserFactory(username="wang.wei")
    _fail(client, "li.na", 5)

    assert client.post(LOGIN, {"username": "wang.wei", "password": PASSWORD}).status_code == 302

    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert elsewhere.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302


def test_the_lockout_page_speaks_chinese(client):
    factories.UserFactory(username="li.na")
    client.cookies["django_language"] = "zh-hans"
    page = _fail(client, "li.na", 5).content.decode()
    assert "登录已锁定" in page
    assert "Traceback" not in page


def test_the_lockout_ends_after_the_cool_off(client):
    factories.UserFactory(username="li.na")
    with time_machine.travel(START, tick=False) as traveller:
        _fail(client, "li.na", 5)
        traveller.shift(datetime.timedelta(minutes=29))
        assert client.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 429
        # Each attempt during the lockout starts the cool-off again (axes' default).
        traveller.shift(datetime.timedelta(minutes=31))
        assert client.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302


def test_the_cool_off_follows_the_setting(client, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=5)
    factories.UserFactory(username="li.na")
    with time_machine.travel(START, tick=False) as traveller:
        _fail(client, "li.na", 5)
        traveller.shift(datetime.timedelta(minutes=6))
        assert client.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302


def test_operations_unlock_a_user_by_deleting_the_attempt_in_admin(client, ops_user):
    factories.UserFactory(username="li.na")
    _fail(client, "li.na", 5)
    attempt = AccessAttempt.objects.get(username="li.na")

    desk = Client()
    desk.force_login(ops_user)
    changelist = desk.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200 and "li.na" in changelist.content.decode()
    deleted = desk.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()

    assert client.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302


def test_operations_may_not_change_attempts_or_read_the_access_logs(client, ops_user):
    assert ops_user.has_perms(["axes.view_accessattempt", "axes.delete_accessattempt"])
    assert not ops_user.has_perm("axes.change_accessattempt")
    assert not ops_user.has_perm("axes.view_accesslog")


def test_the_token_endpoint_locks_out_too(client):
    factories.UserFactory(username="api.user")
    assert _fail(client, "api.user", 4, url=TOKEN).status_code == 400
    locked = _fail(client, "api.user", 1, url=TOKEN)
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"

    right = client.post(TOKEN, {"username": "api.user", "password": PASSWORD})
    assert right.status_code == 429
    assert not AuthToken.objects.exists()
    # The page and the API count together: the same pair is locked on the sign-in page.
    assert client.post(LOGIN, {"username": "api.user", "password": PASSWORD}).status_code == 429


def test_a_good_sign_in_before_the_limit_forgives_earlier_typos(client):
    factories.UserFactory(username="li.na")
    _fail(client, "li.na", 4)
    assert client.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    assert _fail(client, "li.na", 4).status_code == 200


# --- Sign-in pages ---------------------------------------------------------------------------


def test_a_failed_sign_in_shows_the_error_and_keeps_the_username(client):
    factories.UserFactory(username="li.na")
    client.cookies["django_language"] = "en"
    page = client.post(LOGIN, {"username": "li.na", "password": "wrong"}).content.decode()
    assert 'value="li.na"' in page
    assert 'role="alert"' in page and "correct username and password" in page
    assert '<label for="id_username">Username</label>' in page


def test_a_missing_field_is_reported_next_to_it(client):
    client.cookies["django_language"] = "en"
    page = client.post(LOGIN, {"username": "li.na", "password": ""}).content.decode()
    password_part = page[page.index('for="id_password"') :]
    assert "This field is required." in password_part[: password_part.index("</p>")]


def test_signing_out_shows_the_signed_out_page(client):
    client.force_login(factories.UserFactory())
    client.cookies["django_language"] = "zh-hans"
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    assert "您已退出登录" in response.content.decode()
    assert not _signed_in(client)


# --- Session lifetime ------------------------------------------------------------------------


def test_an_idle_session_ends_after_the_idle_timeout(client, settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    user = factories.UserFactory()
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(user)
        traveller.shift(datetime.timedelta(minutes=29))
        assert _signed_in(client)
        traveller.shift(datetime.timedelta(minutes=29))  # 29 minutes after the last request
        assert _signed_in(client)
        traveller.shift(datetime.timedelta(minutes=31))
        client.cookies["django_language"] = "zh-hans"
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert "由于长时间未操作" in client.get(response["Location"]).content.decode()


def test_an_active_session_still_ends_after_the_absolute_lifetime(client, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(factories.UserFactory())
        for _ in range(8 * 3):  # a request every 20 minutes for 8 hours
            traveller.shift(datetime.timedelta(minutes=20))
            assert _signed_in(client)
        traveller.shift(datetime.timedelta(minutes=20))
        assert not _signed_in(client)


def test_an_expired_session_is_refused_by_the_api_too(client):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(factories.UserFactory())
        assert client.get("/api/schema/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        assert client.get("/api/schema/").status_code in (401, 403)


# --- Password change and deactivation --------------------------------------------------------


def test_a_password_change_ends_the_other_sessions_and_deletes_api_tokens():
    user = factories.UserFactory(username="li.na")
    token, secret = AuthToken.objects.create(user=user)
    desk, laptop = Client(), Client()
    assert desk.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302
    assert laptop.post(LOGIN, {"username": "li.na", "password": PASSWORD}).status_code == 302

    changed = desk.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Lotus-Harbour-2027", "new_password2": "Lotus-Harbour-2027"},
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]

    assert _signed_in(desk)  # the session that changed it stays
    assert not _signed_in(laptop)
    assert not AuthToken.objects.filter(pk=token.pk).exists()
    assert laptop.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401


def test_saving_a_user_without_changing_the_password_keeps_the_token():
    user = factories.UserFactory()
    AuthToken.objects.create(user=user)
    user = get_user_model().objects.get(pk=user.pk)
    user.first_name = "Na"
    user.save()
    deferred = get_user_model().objects.only("pk", "last_login").get(pk=user.pk)
    deferred.last_login = timezone.now()
    deferred.save(update_fields=["last_login"])
    assert AuthToken.objects.filter(user=user).exists()


def test_deactivating_a_user_ends_their_session_and_their_token():
    user = factories.UserFactory()
    token, _secret = AuthToken.objects.create(user=user)
    browser = Client()
    browser.force_login(user)
    assert _signed_in(browser)

    user = get_user_model().objects.get(pk=user.pk)
    user.is_active = False
    user.save()

    assert not _signed_in(browser)
    assert not AuthToken.objects.filter(pk=token.pk).exists()


def test_a_deactivated_users_token_is_refused_even_if_it_survived():
    user = factories.UserFactory()
    _token, secret = AuthToken.objects.create(user=user)
    assert Client().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)  # no signals: a raw update
    assert Client().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401


# --- Headers, CSP, the language switch -------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _script_src(response) -> str:
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if " " in part.strip()
    )
    return policy["script-src"]


def test_pages_carry_the_csp_and_no_inline_script(client):
    client.force_login(factories.UserFactory())
    for url in (LOGIN, "/", "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _script_src(response) == "'self'", url
        page = response.content.decode()
        assert not _INLINE_SCRIPT.search(page), url
        assert not _INLINE_HANDLER.search(page), url
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    # Swagger UI's start-up script comes as a file of its own (the split view).
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_the_admin_needs_no_inline_script(client, ops_user, client_record):
    admin_user = factories.UserFactory(username="root")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    urls = [
        reverse("admin:index"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[ops_user.pk]),
        reverse("admin:clients_client_changelist"),
        reverse("admin:clients_client_change", args=[client_record.pk]),
        reverse("admin:axes_accessattempt_changelist"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"]
        page = response.content.decode()
        assert not _INLINE_SCRIPT.search(page), (url, _INLINE_SCRIPT.search(page))
        assert not _INLINE_HANDLER.search(page), url


def test_the_language_switch_is_a_static_script(client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    page = client.get(LOGIN).content.decode()
    assert re.search(r'<script src="/static/js/crm\.js"[^>]*\bdefer\b[^>]*></script>', page)
    assert "data-autosubmit" in page
    script = client.get("/static/js/crm.js")
    assert script.status_code == 200
    assert b"data-autosubmit" in b"".join(script.streaming_content)

    switched = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert switched.status_code == 302
    assert "Sign in" in client.get(LOGIN).content.decode()


# --- Production settings ---------------------------------------------------------------------


def _production(*args: str) -> subprocess.CompletedProcess:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PII_HASH_KEY"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="p-" + "k7Qz9" * 12,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PII_HASH_KEY="h" * 40,
        ALLOWED_HOSTS="crm.example.com",
    )
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_deploy_check_is_clean_in_production():
    result = _production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRODUCTION_HEADERS = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
from django.middleware.security import SecurityMiddleware
from django.middleware.clickjacking import XFrameOptionsMiddleware
from csp.middleware import CSPMiddleware
view = lambda request: HttpResponse("ok")
stack = SecurityMiddleware(XFrameOptionsMiddleware(CSPMiddleware(view)))
response = stack(RequestFactory().get("/", secure=True, HTTP_HOST="crm.example.com"))
for name, value in response.headers.items():
    print(f"{name}: {value}")
from django.conf import settings
print("cookies:", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_HTTPONLY)
"""


def test_production_sends_the_security_headers_and_a_strict_script_policy():
    result = _production("-c", PRODUCTION_HEADERS)
    assert result.returncode == 0, result.stderr
    headers = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    policy = headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy and "upgrade-insecure-requests" in policy
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "cookies: True True True" in result.stdout
