"""Fixtures of the ticket tests: a pinned clock, private attachment storage in a temporary
folder, the world's cast (``tests.personas``) and helpers to open tickets through the workflow."""

from __future__ import annotations

import datetime
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from tickets import workflow
from tickets.models import Ticket, TicketKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday 20 November 2026 (factories.TODAY), 10:00 in Shanghai: a trading day, in business hours.
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    """The pinned clock (not ticking): move it with ``clock.move_to(...)``."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def private_attachments(settings, tmp_path):
    """Attachments go to a temporary private folder: a real FileSystemStorage, not a mock."""
    root = tmp_path / "private-tickets"
    settings.STORAGES = {
        **settings.STORAGES,
        "ticket_attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root}},
    }
    return root


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def user_of(cast, persona: str):
    return get_user_model().objects.get(pk=getattr(cast, persona).user_id)


def kind(code: str) -> TicketKind:
    return TicketKind.objects.get(code=code)


def open_ticket(client, code: str = "inquiry", *, by, **fields) -> Ticket:
    fields.setdefault("channel", Ticket.Channel.PHONE)
    fields.setdefault("subject", "Fee question")
    return workflow.create_ticket(client=client, kind=kind(code), by=by, **fields)


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the product's default language is Chinese): in code,
    and on pages and API answers to requests without Accept-Language."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def reference_data(transactional_db):
    """Roles and the reference data the migrations ship, for transactional tests.

    Such a test may start on a database another transactional test has flushed, and restoring
    it with ``serialized_rollback`` fails here: the restore saves ``auth`` rows before
    ``contenttypes`` ones, and the audit log's save signal creates content types on the way.
    So these tests put back what they need themselves (both loaders are idempotent).
    """
    from django.apps import apps

    from core.roles import sync_roles

    sync_roles()
    importlib.import_module("core.migrations.0003_default_reference_data").load(apps, None)
