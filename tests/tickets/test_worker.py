"""The escalation task on a real Celery worker consuming from the real Redis, against the test
database (PostgreSQL: the worker is another process). Run twice: one step, one alert, one email."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from alerts.models import Alert
from tests.celery_worker import running_worker
from tests.tickets.conftest import open_ticket, user_of
from tickets.models import Ticket
from tickets.tasks import escalate_overdue

pytestmark = pytest.mark.services


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    env = {
        "DATABASE_URL": database_url(),
        # The console email backend: the worker's output shows the email it sent.
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LANGUAGE_CODE": "en",
    }
    with running_worker("test-tickets", env) as (queue, output):
        yield queue, output


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_escalates_an_overdue_ticket_once(reference_data, world, worker):
    queue, output = worker
    cast, clients = world
    ticket = open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))
    # The worker runs on the real clock: make the first response an hour late.
    Ticket.objects.filter(pk=ticket.pk).update(response_due_at=timezone.now() - datetime.timedelta(hours=1))

    first = escalate_overdue.apply_async(queue=queue).get(timeout=90)
    second = escalate_overdue.apply_async(queue=queue).get(timeout=90)

    assert first["escalated"] == [[ticket.pk, 1]]
    assert second["escalated"] == []
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 1
    alerts = Alert.objects.filter(kind=Alert.Kind.TICKET_SLA)
    assert list(alerts.values_list("advisor", flat=True)) == [cast.team_lead.pk]
    assert (first["emails"], second["emails"]) == (1, 0)
