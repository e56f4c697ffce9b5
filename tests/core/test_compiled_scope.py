"""The scope's subquery compiled once per process for the facts it is made of
(core.access.client_scope): the same facts reuse the SQL, other facts get their own, and the
rows the SQL reads (assignments, shares) are read when it runs — never remembered."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone

from clients import services
from clients.models import Client, ClientShare
from core import access

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user object a new request loads (nothing cached on it)."""
    return get_user_model().objects.get(pk=user.pk)


def test_one_compiled_scope_per_profile_action_and_day(world):
    cast, _clients = world
    first = access.client_scope(_fresh(cast.advisor.user))
    again = access.client_scope(_fresh(cast.advisor.user))
    assert first.children[0][1] is again.children[0][1]  # the same compiled SQL, reused
    changing = access.client_scope(_fresh(cast.advisor.user), "change")
    colleague = access.client_scope(_fresh(cast.colleague.user))
    for other in (changing, colleague):
        assert other.children[0][1] is not first.children[0][1]
    assert access.client_scope(_fresh(cast.compliance.user)) is access.EVERYTHING


def test_a_share_made_after_the_scope_was_compiled_counts_and_ends_with_its_day(world, monkeypatch):
    cast, clients = world
    viewer = cast.colleague.user
    assert not Client.objects.visible_to(_fresh(viewer)).filter(pk=clients["mine"].pk).exists()  # compiled now
    today = timezone.localdate()
    services.share_client(
        client=clients["mine"], with_user=viewer, level=ClientShare.Level.VIEW, until=today, by=cast.advisor.user
    )
    assert Client.objects.visible_to(_fresh(viewer)).filter(pk=clients["mine"].pk).exists()
    # The next day the share has ended: that day's scope is compiled with that day's date.
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + datetime.timedelta(days=1))
    assert not Client.objects.visible_to(_fresh(viewer)).filter(pk=clients["mine"].pk).exists()


def _one(user, pk, action="view"):
    with_branch = lambda: Client.objects.select_related("branch")  # noqa: E731
    return access.visible_one_or_404("test: a client", with_branch, user, pk, action)


def test_one_record_read_by_compiled_sql_is_refused_outside_the_scope_and_follows_a_share(world):
    """``access.visible_one_or_404`` (a client's page): the same record ``get_visible_or_404``
    finds, and a 404 where it refuses, whoever asks first; a share made after the SQL was
    compiled counts on the next read, and its revocation too."""
    cast, clients = world
    users = [_fresh(getattr(cast, name).user) for name in ("advisor", "colleague", "manager", "compliance", "no_role")]
    for user in users:
        for record in clients.values():
            try:
                expected = access.get_visible_or_404(Client, user, pk=record.pk)
            except Http404:
                with pytest.raises(Http404):
                    _one(user, record.pk)
            else:
                found = _one(user, record.pk)
                assert found == expected and found.branch.code == record.branch.code
        with pytest.raises(Http404):
            _one(user, 2**40)
    viewer = _fresh(cast.colleague.user)
    with pytest.raises(Http404):
        _one(viewer, clients["mine"].pk)  # compiled now, for this profile
    share = services.share_client(
        client=clients["mine"],
        with_user=viewer,
        level=ClientShare.Level.VIEW,
        until=timezone.localdate(),
        by=cast.advisor.user,
    )
    assert _one(_fresh(viewer), clients["mine"].pk) == clients["mine"]
    with pytest.raises(Http404):
        _one(_fresh(viewer), clients["mine"].pk, "change")  # a view share changes nothing
    services.revoke_share(share=share, by=cast.advisor.user)
    with pytest.raises(Http404):
        _one(_fresh(viewer), clients["mine"].pk)
