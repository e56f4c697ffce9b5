"""core.backends.CachedModelBackend reads the signed-in user on every request (its SQL compiled
once per process): a change made behind Django's back — a renamed user, a deactivated one, a
deleted one — shows on the very next request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.test import Client as HttpClient

from core.backends import CachedModelBackend

pytestmark = pytest.mark.django_db

User = get_user_model()


def _signed_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user, backend="core.backends.CachedModelBackend")
    assert http.get("/").status_code == 200  # the compiled read is warm from here on
    return http


def test_it_finds_the_users_modelbackend_finds(world):
    cast, _ = world
    ours, djangos = CachedModelBackend(), ModelBackend()
    for user in (cast.advisor.user, cast.compliance.user, cast.ops.user):
        found = ours.get_user(user.pk)
        assert found == djangos.get_user(user.pk) == user
        assert (found.username, found.is_staff, found.password) == (user.username, user.is_staff, user.password)
    missing = User.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    assert ours.get_user(missing) is None and ours.get_user(2**31 + 5) is None


def test_a_user_renamed_in_the_database_is_shown_so_on_the_next_request(world):
    cast, _ = world
    http = _signed_in(cast.advisor.user)
    User.objects.filter(pk=cast.advisor.user.pk).update(first_name="鑫旭", last_name="张")
    assert '<span class="navbar-text text-white">张鑫旭</span>' in http.get("/").content.decode()


def test_a_user_deactivated_or_deleted_is_signed_out_on_the_next_request(world):
    cast, _ = world
    passer_by = User.objects.create_user("passer_by", password="x-pass-2026")
    deactivated, deleted = _signed_in(cast.advisor.user), _signed_in(passer_by)
    User.objects.filter(pk=cast.advisor.user.pk).update(is_active=False)
    passer_by.delete()
    for http in (deactivated, deleted):
        response = http.get("/clients/")
        assert not response.wsgi_request.user.is_authenticated
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
