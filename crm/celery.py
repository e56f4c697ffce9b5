"""The Celery application. Configuration comes from Django settings (the CELERY_ prefix)."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect(weak=False)
def _load_the_nights_libraries(**signal) -> None:
    """The worker imports scikit-learn when it starts, not in its first night's churn step
    (``nightly.worker``)."""
    from nightly.worker import load_the_nights_libraries

    load_the_nights_libraries(**signal)


@beat_init.connect(weak=False)
def _sync_the_schedule(**signal) -> None:
    """Beat starts with every entry declared in ``core.schedule`` in the database (rows ops edited
    are left as they are)."""
    from core.schedule import sync_when_beat_starts

    sync_when_beat_starts(**signal)
