"""Put back what the data migrations wrote, after a transactional test flushed the database.

Tests that need committed rows (a live server for the browser, a real Celery worker) run in
transactions that Django ends with a flush of every table — roles, tier policies, ticket kinds,
SLA policies, the default questionnaire and the beat schedule (``core.schedule``) included. The next such test would
otherwise start without them; ``restore`` re-runs the same migration functions and the schedule's sync.
"""

from __future__ import annotations

import importlib

from django.apps import apps

# (module, function) of each data migration whose rows the product needs, in migration order.
DATA_MIGRATIONS = [
    ("core.migrations.0003_default_reference_data", "load"),
    ("suitability.migrations.0003_default_questionnaire", "load"),
    ("imports.migrations.0002_code_map", "shipped_defaults"),
]


def flushed() -> bool:
    from django.contrib.auth.models import Group

    return not Group.objects.exists()


def restore() -> None:
    from core.roles import sync_roles
    from core.schedule import sync_schedule

    sync_roles()
    sync_schedule()
    for module_name, function in DATA_MIGRATIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        getattr(module, function)(apps, None)
