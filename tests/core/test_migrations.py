"""Models and migrations agree, and a fresh database gets its roles and reference data."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.roles import ROLE_NAMES, ROLE_PERMISSIONS


@pytest.mark.django_db
def test_migrations_are_complete():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)


@pytest.mark.django_db
def test_every_role_exists_with_exactly_its_permissions():
    for role in ROLE_NAMES:
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(ROLE_PERMISSIONS[role]), role


@pytest.mark.django_db
def test_only_privileged_roles_may_reveal_pii():
    holders = set(Group.objects.filter(permissions__codename="view_pii").values_list("name", flat=True))
    assert holders == {"branch_manager", "compliance"}


@pytest.mark.django_db
def test_reference_data_is_loaded():
    from clients.models import TierPolicy
    from core.models import TradingHoliday
    from tickets.models import SlaPolicy, TicketKind

    assert list(TierPolicy.objects.values_list("tier", flat=True)) == ["mass", "affluent", "hnw", "uhnw"]
    assert TicketKind.objects.filter(is_complaint=True).get().code == "complaint"
    assert SlaPolicy.objects.count() == TicketKind.objects.count() * 4
    assert all(h.date.weekday() < 5 for h in TradingHoliday.objects.all())
