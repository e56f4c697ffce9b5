"""The scope's subquery compiled once per process for the facts it is made of
(core.access.client_scope): the same facts reuse the SQL, other facts get their own, and the
rows the SQL reads (assignments, shares) are read when it runs — never remembered."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
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
